package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"
)

// unsetenv unsets key for the duration of the test.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	old, had := os.LookupEnv(key)
	t.Setenv(key, "") // registers the restore
	_ = os.Unsetenv(key)
	t.Cleanup(func() {
		if had {
			_ = os.Setenv(key, old)
		}
	})
}

func TestConfig(t *testing.T) {
	withLib := t.TempDir()
	libDir := filepath.Join(withLib, ".local", "lib", "onnxruntime")
	if err := os.MkdirAll(libDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(libDir, "libonnxruntime.so.1"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyHome := t.TempDir()
	explicitLib := filepath.Join(t.TempDir(), "custom-ort.so")
	if err := os.WriteFile(explicitLib, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		envBackend *string // nil: unset
		home       string
		libEnv     string
		want       string
		wantWhy    string
	}{
		{name: "GOMLX_BACKEND wins over an installed library", envBackend: ptr("go:ops_sequential"), home: withLib,
			want: "go:ops_sequential", wantWhy: "GOMLX_BACKEND"},
		{name: "GOMLX_BACKEND xla", envBackend: ptr("xla:cuda"), home: emptyHome,
			want: "xla:cuda", wantWhy: "GOMLX_BACKEND"},
		{name: "empty GOMLX_BACKEND is ignored", envBackend: ptr(""), home: emptyHome,
			want: "go:parallelism=-1", wantWhy: "make onnxruntime"},
		{name: "library in ~/.local/lib/onnxruntime", home: withLib,
			want: "onnx:cpu", wantWhy: filepath.Join(libDir, "libonnxruntime.so.1")},
		{name: "library from ONNXRUNTIME_SHARED_LIBRARY_PATH", home: emptyHome, libEnv: explicitLib,
			want: "onnx:cpu", wantWhy: explicitLib},
		{name: "ONNXRUNTIME_SHARED_LIBRARY_PATH pointing nowhere", home: emptyHome, libEnv: filepath.Join(emptyHome, "missing.so"),
			want: "go:parallelism=-1", wantWhy: "not installed"},
		{name: "nothing installed", home: emptyHome,
			want: "go:parallelism=-1", wantWhy: "not installed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.envBackend == nil {
				unsetenv(t, compute.ConfigEnvVar)
			} else {
				t.Setenv(compute.ConfigEnvVar, *tc.envBackend)
			}
			if tc.libEnv == "" {
				unsetenv(t, LibraryEnv)
			} else {
				t.Setenv(LibraryEnv, tc.libEnv)
			}
			t.Setenv("HOME", tc.home)
			got, why := Config()
			if got != tc.want {
				t.Errorf("Config() = %q, want %q (why: %s)", got, tc.want, why)
			}
			if !strings.Contains(why, tc.wantWhy) {
				t.Errorf("Config() reason %q does not mention %q", why, tc.wantWhy)
			}
			if d := Describe(); !strings.Contains(d, tc.want) {
				t.Errorf("Describe() = %q, want it to name %q", d, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestNewBadConfig(t *testing.T) {
	tests := []struct {
		config  string
		mention string
	}{
		{"nosuchbackend", "nosuchbackend"},
		{"nosuchbackend:cpu", "nosuchbackend"},
		{"go:no_such_option", "no_such_option"},
		{"go:parallelism=many", "parallelism"},
		{"onnx:" + filepath.Join(os.TempDir(), "definitely-missing", "libonnxruntime.so"), "onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			b, err := New(tc.config)
			if err == nil {
				b.Finalize()
				t.Fatalf("New(%q) succeeded, want an error", tc.config)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.mention) {
				t.Errorf("error %q does not mention %q", msg, tc.mention)
			}
			if !strings.Contains(msg, "GOMLX_BACKEND=go") {
				t.Errorf("error %q does not suggest GOMLX_BACKEND=go", msg)
			}
		})
	}
}

func TestNewGo(t *testing.T) {
	for _, cfg := range []string{"go", GoConfig, "go:parallelism=1", "go:ops_sequential"} {
		b, err := New(cfg)
		if err != nil {
			t.Fatalf("New(%q): %v", cfg, err)
		}
		if b.Name() != "Go Backend" {
			t.Errorf("New(%q).Name() = %q", cfg, b.Name())
		}
		b.Finalize()
	}
}

func TestWrapErr(t *testing.T) {
	plain := errors.New("shape mismatch in Add")
	tests := []struct {
		name      string
		err       error
		wantNil   bool
		unchanged bool
		op        string
	}{
		{name: "nil", err: nil, wantNil: true},
		{name: "unrelated error", err: plain, unchanged: true},
		{name: "interior padding (strided conv / mean-pool gradient)",
			err: errors.Wrap(compute.ErrNotImplemented, "interior padding is not supported by ONNX Pad"), op: "Pad"},
		{name: "builder op not implemented",
			err: errors.Wrapf(compute.ErrNotImplemented, "%s (%d) not implemented for ONNX Runtime backend", "ReduceWindow", 57), op: "ReduceWindow"},
		{name: "fused VJP",
			err: errors.Wrap(compute.ErrNotImplemented, "FusedScaledDotProductAttentionVJP is not implemented for onnxruntime backend"),
			op:  "FusedScaledDotProductAttentionVJP"},
		{name: "wrapped twice by the caller",
			err: errors.Wrap(errors.Wrap(compute.ErrNotImplemented, "interior padding is not supported by ONNX Pad"), "train step 3"), op: "Pad"},
		{name: "message only (error chain lost through a panic)",
			err: errors.New("failed to compile: interior padding is not supported by ONNX Pad: op not implemented"), op: "Pad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := WrapErr(tc.err)
			switch {
			case tc.wantNil:
				if got != nil {
					t.Fatalf("WrapErr(nil) = %v", got)
				}
				return
			case tc.unchanged:
				if got != tc.err {
					t.Fatalf("WrapErr changed an unrelated error: %v", got)
				}
				return
			}
			var u *UnsupportedOpError
			if !errors.As(got, &u) {
				t.Fatalf("WrapErr(%v) = %T %v, want *UnsupportedOpError", tc.err, got, got)
			}
			if u.Op != tc.op {
				t.Errorf("Op = %q, want %q", u.Op, tc.op)
			}
			msg := got.Error()
			for _, want := range []string{"GOMLX_BACKEND=go", tc.op} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if WrapErr(got) != got {
				t.Errorf("WrapErr is not idempotent")
			}
		})
	}
}

func TestRecover(t *testing.T) {
	f := func() (err error) {
		defer Recover(&err)
		panic(errors.Wrap(compute.ErrNotImplemented, "interior padding is not supported by ONNX Pad"))
	}
	err := f()
	var u *UnsupportedOpError
	if !errors.As(err, &u) || u.Op != "Pad" {
		t.Fatalf("Recover gave %v, want UnsupportedOpError for Pad", err)
	}
	g := func() (err error) {
		defer Recover(&err)
		panic("boom")
	}
	if err := g(); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Recover of a string panic gave %v", err)
	}
}

// TestNewGoKeepsStdoutClean: the Go backend's "parallelism set to" notice must
// not reach stdout (mrg prints results there).
func TestNewGoKeepsStdoutClean(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	b, err := New("go:parallelism=1")
	os.Stdout = old
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
	buf := make([]byte, 256)
	n, _ := r.Read(buf)
	if n > 0 {
		t.Errorf("New wrote to stdout: %q", buf[:n])
	}
}
