package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/weights"
)

// writeSafetensors writes a random resnet18 state dict (with fc.*) as a
// .safetensors file, without PyTorch.
func writeSafetensors(t *testing.T, path string) {
	t.Helper()
	ps, err := weights.ResNetParams(18)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	header := map[string]entry{}
	rng := rand.New(rand.NewPCG(1, 2))
	var data []byte
	add := func(name string, shape []int, gen func() float32) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		start := int64(len(data))
		for range n {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(gen()))
		}
		header[name] = entry{"F32", shape, [2]int64{start, int64(len(data))}}
	}
	for _, p := range ps {
		switch p.Var {
		case "running_var":
			add(p.Torch, p.TorchShape, func() float32 { return 0.5 + rng.Float32() })
		case "scale":
			add(p.Torch, p.TorchShape, func() float32 { return 1 })
		default:
			add(p.Torch, p.TorchShape, func() float32 { return 0.05 * float32(rng.NormFloat64()) })
		}
	}
	add("fc.weight", []int{1000, 512}, func() float32 { return 0 })
	add("fc.bias", []int{1000}, func() float32 { return 0 })
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWeightsImportAndFeatures runs both verbs end to end on a synthetic
// resnet18 and checks the printed JSON's shape.
func TestWeightsImportAndFeatures(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "r18.safetensors")
	writeSafetensors(t, st)
	img := image.NewGray(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.SetGray(3, 3, color.Gray{Y: 255})
	pngPath := filepath.Join(dir, "x.png")
	f, err := os.Create(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ckpt := filepath.Join(dir, "ckpt")
	code, out, errs := runMain("weights", "import", "-arch", "resnet18", "-in", st, "-out", ckpt)
	if code != 0 || !strings.Contains(out, "100 encoder variables, 2 entries ignored") {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, views := range []int{1, 2} {
		args := []string{"weights", "features", "-ckpt", ckpt}
		for range views {
			args = append(args, "-image", pngPath)
		}
		code, out, errs = runMain(args...)
		if code != 0 {
			t.Fatalf("features: exit %d, stderr %q", code, errs)
		}
		var res struct {
			Global       []float32 `json:"global"`
			PatchesShape []int     `json:"patches_shape"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("features output %q: %v", out, err)
		}
		if want := []int{1, 49 * views, 512}; len(res.Global) != 512 || !slices.Equal(res.PatchesShape, want) {
			t.Errorf("%d views: %d features, patches_shape %v; want 512, %v", views, len(res.Global), res.PatchesShape, want)
		}
	}
}

func TestWeightsBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.pth")
	if err := os.WriteFile(text, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"weights", "import", "-arch", "resnet50", "-in", text, "-out", "OUT"}, 1, "neither a PyTorch state dict"},
		{[]string{"weights", "import", "-arch", "resnet50", "-in", text, "-out", full}, 1, "not empty"},
		{[]string{"weights", "import", "-arch", "resnet50", "-in", filepath.Join(dir, "none.pth"), "-out", "OUT"}, 1, "no such file"},
		{[]string{"weights", "import", "-arch", "vgg16", "-in", text, "-out", "OUT"}, 1, "want resnet18"},
		{[]string{"weights", "import", "-in", text}, 2, "required"},
		{[]string{"weights", "features", "-ckpt", dir}, 2, "required"},
		{[]string{"weights", "features", "-ckpt", filepath.Join(dir, "nockpt"), "-image", text}, 1, "not a checkpoint directory"},
		{[]string{"weights", "convert"}, 2, "unknown command"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ckpt")
			args := slices.Clone(tc.args)
			for j, a := range args {
				if a == "OUT" {
					args[j] = out
				}
			}
			code, _, errs := runMain(args...)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			last := lines[len(lines)-1]
			if code != tc.code || !strings.Contains(last, tc.want) {
				t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", args, code, errs, tc.code, tc.want)
			}
			if code == 1 && len(lines) != 1 {
				t.Errorf("%v: %d lines on stderr, want 1: %q", args, len(lines), errs)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%v: wrote %s", args, out)
			}
		})
	}
}
