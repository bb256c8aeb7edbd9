package weights

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// python returns an interpreter that imports torch and torchvision: Debian's
// /usr/bin/python3 (where python3-torch installs), else python3 on PATH.
// Without one the test is skipped, or fails under CI=true (.ci/setup
// installs them).
func python(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import torch, torchvision").Run(); err == nil {
			return py
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 with torch and torchvision not found (apt-get install python3-torch python3-torchvision; .ci/setup does)")
	}
	t.Skip("python3 with torch and torchvision not found: apt-get install python3-torch python3-torchvision")
	return ""
}

// reference runs testdata/torchvision_ref.py: a torchvision ResNet with
// random weights saved as model.pth, model.safetensors and whole.pth, a grey
// image.png and a colour image_rgb.png, and torchvision's features of each.
func reference(t *testing.T, py, arch string, seed int) (dir string, refs map[string]FeatureResult) {
	t.Helper()
	dir = t.TempDir()
	cmd := exec.Command(py, filepath.Join("testdata", "torchvision_ref.py"), arch, strconv.Itoa(seed), dir)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torchvision_ref.py %s: %v\n%s", arch, err, out)
	}
	refs = map[string]FeatureResult{}
	for _, name := range []string{"image", "image_rgb"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var r FeatureResult
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		refs[name] = r
	}
	return dir, refs
}

// TestTorchvisionParity imports torchvision ResNets (a basic-block and a
// bottleneck one) from both formats and compares the kit's features of the
// same PNG with torchvision's eval-mode output.
func TestTorchvisionParity(t *testing.T) {
	py := python(t)
	for _, tc := range []struct {
		arch     string
		seed     int
		dim, n   int // torchvision's feature width and 7x7 grid
		vars, ig int // encoder variables; fc + num_batches_tracked entries
	}{
		{"resnet18", 3, 512, 49, 100, 22},
		{"resnet50", 11, 2048, 49, 265, 55},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			dir, refs := reference(t, py, tc.arch, tc.seed)
			for _, file := range []string{"model.pth", "model.safetensors"} {
				out := filepath.Join(t.TempDir(), "ckpt")
				sum, err := Import(tc.arch, filepath.Join(dir, file), out)
				if err != nil {
					t.Fatalf("import %s: %v", file, err)
				}
				if sum.Variables != tc.vars || sum.Ignored != tc.ig {
					t.Errorf("import %s: %d variables, %d ignored; want %d, %d", file, sum.Variables, sum.Ignored, tc.vars, tc.ig)
				}
				images := []string{"image"}
				if file == "model.pth" {
					images = append(images, "image_rgb")
				}
				for _, img := range images {
					ref := refs[img]
					if len(ref.Global) != tc.dim {
						t.Fatalf("reference has %d features, want %d", len(ref.Global), tc.dim)
					}
					got, err := Features(nil, out, []string{filepath.Join(dir, img+".png")})
					if err != nil {
						t.Fatalf("features from %s: %v", file, err)
					}
					if want := []int{1, tc.n, tc.dim}; !slices.Equal(got.PatchesShape, want) || !slices.Equal(ref.PatchesShape, want) {
						t.Errorf("%s: patches_shape %v (torchvision %v), want %v", file, got.PatchesShape, ref.PatchesShape, want)
					}
					if len(got.Global) != len(ref.Global) {
						t.Fatalf("%s: %d features, want %d", file, len(got.Global), len(ref.Global))
					}
					var maxDiff, scale float64
					for i, r := range ref.Global {
						maxDiff = math.Max(maxDiff, math.Abs(float64(got.Global[i]-r)))
						scale = math.Max(scale, math.Abs(float64(r)))
					}
					t.Logf("%s %s %s: max |diff| %.3g, feature scale %.3g, relative %.3g", tc.arch, file, img, maxDiff, scale, maxDiff/scale)
					if scale == 0 || maxDiff > 1e-4*scale {
						t.Errorf("%s %s: max |diff| %g > 1e-4 x feature scale %g", file, img, maxDiff, scale)
					}
				}
			}
		})
	}
}

// TestImportBadInput: each bad input gives one line naming the problem, and
// nothing is written.
func TestImportBadInput(t *testing.T) {
	py := python(t)
	dir, _ := reference(t, py, "resnet18", 5)
	pth, st := filepath.Join(dir, "model.pth"), filepath.Join(dir, "model.safetensors")
	bad := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(bad, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := func(src string, n int) []byte {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		return b[:n]
	}
	nonEmpty := filepath.Join(bad, "full")
	if err := os.MkdirAll(nonEmpty, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(nonEmpty, "keep.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, arch, in, out, want string
	}{
		{"text file", "resnet18", write("notes.pth", []byte("just some text\n")), "", "neither a PyTorch state dict"},
		{"empty file", "resnet18", write("empty.safetensors", nil), "", "neither a PyTorch state dict"},
		{"truncated pth", "resnet18", write("cut.pth", head(pth, 1<<20)), "", "truncated"},
		{"truncated safetensors", "resnet18", write("cut.safetensors", head(st, 1<<20)), "", "truncated"},
		{"truncated safetensors header", "resnet18", write("cut2.safetensors", head(st, 64)), "", "truncated"},
		{"deeper arch", "resnet34", pth, "", "missing parameter layer1.2.conv1.weight"},
		{"bottleneck arch", "resnet50", st, "", "parameter layer1.0.conv1.weight has shape [64 64 3 3], resnet50 expects [64 64 1 1]"},
		{"whole model", "resnet18", filepath.Join(dir, "whole.pth"), "", "torchvision.models.resnet.ResNet), not a state dict: save one with torch.save(model.state_dict()"},
		{"non-empty out", "resnet18", pth, nonEmpty, "exists and is not empty"},
		{"unknown arch", "resnet19", pth, "", "want resnet18"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.out
			if out == "" {
				out = filepath.Join(t.TempDir(), "ckpt")
			}
			_, err := Import(tc.arch, tc.in, out)
			if err == nil {
				t.Fatalf("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line containing %q", msg, tc.want)
			}
			if tc.out == "" {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("%s was written", out)
				}
				entries, _ := os.ReadDir(filepath.Dir(out))
				if len(entries) != 0 {
					t.Errorf("left %d entries beside -out", len(entries))
				}
			} else if entries, _ := os.ReadDir(out); len(entries) != 1 {
				t.Errorf("non-empty -out changed: %d entries", len(entries))
			}
		})
	}
}

// TestOHWIToHWIO checks the kernel transpose on a 2x1x1x2 kernel, element
// by element: torch[o][i][y][x] must land at kit[y][x][i][o].
func TestOHWIToHWIO(t *testing.T) {
	// torch [out=2, in=1, kh=1, kw=2]: o0=(1,2), o1=(3,4).
	got := ohwiToHWIO([]float32{1, 2, 3, 4}, []int{2, 1, 1, 2})
	// kit [kh=1, kw=2, in=1, out=2]: x0=(o0,o1)=(1,3), x1=(2,4).
	if want := []float32{1, 3, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestResNetParams checks the parameter counts against torchvision's state
// dicts (len(state_dict()) minus fc.weight, fc.bias and one
// num_batches_tracked per batch norm): resnet18 122 keys, resnet34 218,
// resnet50 320, resnet101 626, resnet152 932.
func TestResNetParams(t *testing.T) {
	for _, tc := range []struct{ depth, keys int }{{18, 122}, {34, 218}, {50, 320}, {101, 626}, {152, 932}} {
		ps, err := ResNetParams(tc.depth)
		if err != nil {
			t.Fatal(err)
		}
		bn := 0
		for _, p := range ps {
			if p.Var == "running_var" {
				bn++
			}
		}
		if got := len(ps) + 2 + bn; got != tc.keys {
			t.Errorf("resnet%d: %d params + fc + %d counters = %d keys, torchvision has %d", tc.depth, len(ps), bn, got, tc.keys)
		}
	}
	if _, err := ParseArch("resnet101"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"resnet10", "vit_b_16", "resnet", ""} {
		if _, err := ParseArch(bad); err == nil {
			t.Errorf("ParseArch(%q): no error", bad)
		}
	}
}

// TestReadSafetensors reads a hand-written file with F32, F16, BF16 and I64
// tensors (values chosen exactly representable).
func TestReadSafetensors(t *testing.T) {
	header := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"h":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},` +
		`"b":{"dtype":"BF16","shape":[1],"data_offsets":[14,16]},` +
		`"n":{"dtype":"I64","shape":[],"data_offsets":[16,24]},"__metadata__":{"format":"pt"}}`
	var buf []byte
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(header)))
	buf = append(buf, header...)
	buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(1.5))
	buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(-2))
	for _, h := range []uint16{0x3c00, 0xc000, 0x3800} { // 1, -2, 0.5
		buf = binary.LittleEndian.AppendUint16(buf, h)
	}
	buf = binary.LittleEndian.AppendUint16(buf, 0x4040) // bf16 3.0
	buf = binary.LittleEndian.AppendUint64(buf, 7)
	p := filepath.Join(t.TempDir(), "x.bin")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	ts, format, err := ReadStateDict(p)
	if err != nil {
		t.Fatal(err)
	}
	if format != FormatSafetensors || len(ts) != 4 {
		t.Fatalf("format %s, %d tensors", format, len(ts))
	}
	want := map[string][]float32{"a": {1.5, -2}, "h": {1, -2, 0.5}, "b": {3}}
	for _, tt := range ts {
		if tt.Name == "n" {
			if !tt.Int {
				t.Errorf("n: not marked integer")
			}
			continue
		}
		if !slices.Equal(tt.Data, want[tt.Name]) {
			t.Errorf("%s: %v, want %v", tt.Name, tt.Data, want[tt.Name])
		}
	}
}
