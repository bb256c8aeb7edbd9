package model

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

func TestTorchvisionConfig(t *testing.T) {
	for _, tc := range []struct {
		preset, set   string
		arch          string
		grid, visual  int
		wantErrSubstr string
	}{
		{preset: "cpu", arch: ArchKit, grid: 4, visual: 128},
		{preset: "paper", arch: ArchTorchvision, grid: 7, visual: 2048},
		{preset: "paper", set: "enc_depth=18", arch: ArchTorchvision, grid: 7, visual: 512},
		{preset: "paper", set: "enc_depth=152", arch: ArchTorchvision, grid: 7, visual: 2048},
		{preset: "paper", set: "enc_depth=10", wantErrSubstr: "enc_depth=10"},
		{preset: "paper", set: "image_channels=1", wantErrSubstr: "image_channels=1"},
		{preset: "paper", set: "image_size=208;image_resize=240", wantErrSubstr: "multiple of 32"},
		{preset: "cpu", set: "enc_arch=resnet", wantErrSubstr: "enc_arch"},
		{preset: "cpu", set: "enc_freeze=true", wantErrSubstr: "enc_freeze=true"},
		{preset: "paper", set: "enc_freeze=true", arch: ArchTorchvision, grid: 7, visual: 2048},
	} {
		store := model.NewStore()
		err := Configure(store, tc.preset, tc.set)
		if tc.wantErrSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrSubstr) {
				t.Errorf("%s %q: error %v, want one naming %q", tc.preset, tc.set, err, tc.wantErrSubstr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %q: %v", tc.preset, tc.set, err)
		}
		c := ReadConfig(store)
		if c.EncArch != tc.arch || GridSize(c) != tc.grid || VisualDim(c) != tc.visual {
			t.Errorf("%s %q: arch %s grid %d visual %d, want %s %d %d", tc.preset, tc.set, c.EncArch, GridSize(c), VisualDim(c), tc.arch, tc.grid, tc.visual)
		}
	}
}

func TestCheckBackend(t *testing.T) {
	tv := Config{EncArch: ArchTorchvision}
	frozen := Config{EncArch: ArchTorchvision, EncFreeze: true}
	for _, tc := range []struct {
		c       Config
		backend string
		fails   bool
	}{
		{tv, "onnxruntime", true},
		{tv, "onnx", true},
		{frozen, "onnxruntime", false},
		{tv, "go", false},
		{tv, "xla:cpu", false},
		{Config{EncArch: ArchKit}, "onnxruntime", false},
	} {
		err := CheckBackend(tc.c, tc.backend)
		if (err != nil) != tc.fails {
			t.Errorf("%+v on %s: error %v, want failure %v", tc.c.EncFreeze, tc.backend, err, tc.fails)
		}
		if err != nil && (!strings.Contains(err.Error(), "GOMLX_BACKEND=go") || !strings.Contains(err.Error(), "enc_freeze=true") || !strings.Contains(err.Error(), "ConvGeneral")) {
			t.Errorf("error %q does not name the op and the ways out", err)
		}
	}
}
