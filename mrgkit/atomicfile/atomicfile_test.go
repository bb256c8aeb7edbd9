package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		before  string // existing content ("" = none)
		wantErr bool
	}{
		{"new file", filepath.Join(dir, "a.json"), "", false},
		{"replaces", filepath.Join(dir, "b.json"), "old", false},
		{"creates directories", filepath.Join(dir, "x", "y", "c.json"), "", false},
		{"parent is a file", filepath.Join(blocker, "d.json"), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != "" {
				if err := os.WriteFile(tc.path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFile(tc.path, []byte("new"))
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.path) {
					t.Fatalf("error %v should name %s", err, tc.path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(tc.path)
			if err != nil || string(b) != "new" {
				t.Fatalf("read %q, %v; want new", b, err)
			}
			st, _ := os.Stat(tc.path)
			if st.Mode().Perm() != Perm {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), os.FileMode(Perm))
			}
			entries, _ := os.ReadDir(filepath.Dir(tc.path))
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), TempPrefix(filepath.Base(tc.path))) {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v.json")
	if err := WriteJSON(p, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "{\n  \"a\": 1\n}" {
		t.Errorf("got %q", b)
	}
	if err := WriteJSON(p, func() {}); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("unencodable value: error %v should name %s", err, p)
	}
}
