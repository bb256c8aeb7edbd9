package train

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// tvSet is a tiny torchvision-ResNet-18 model for the fixture's 40 px images.
const tvSet = "vocab_threshold=1;val_beam=1;epochs=1;enc_arch=torchvision;enc_depth=18;enc_width=8;image_channels=3"

// encoderValues returns the encoder variables of a run's checkpoint.
func encoderValues(t *testing.T, rdir string) map[string][]float32 {
	t.Helper()
	store, _, err := run.LoadCheckpoint(run.Dir(rdir).Ckpt())
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), EncoderPrefix) {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		vals[v.Path()] = tensors.MustCopyFlatData[float32](val)
	}
	return vals
}

// changed counts the variables of b whose values differ from a's.
func changed(a, b map[string][]float32) int {
	n := 0
	for k, v := range b {
		if !slices.Equal(a[k], v) {
			n++
		}
	}
	return n
}

// TestTorchvisionEncoderFreeze: with enc_freeze=true the torchvision encoder
// (weights, batch-norm statistics) stays as initialised on every CPU
// backend; unfrozen, it trains on the pure-Go backend and ONNX Runtime
// refuses at once, naming the way out.
func TestTorchvisionEncoderFreeze(t *testing.T) {
	dir := t.TempDir()
	fixture.Write(t, dir, 8, 4, 4, 40)
	for _, cfg := range fixture.Backends(t) {
		t.Run(cfg, func(t *testing.T) {
			be, err := backend.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			train := func(name, set, init string) (string, error) {
				var log bytes.Buffer
				rdir := filepath.Join(t.TempDir(), name)
				_, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: set, Out: rdir,
					Progress: &log, Backend: be, Quiet: true, MaxSteps: 2, InitEncoder: init})
				return rdir, err
			}
			first, err := train("first", tvSet+";enc_freeze=true", "")
			if err != nil {
				t.Fatalf("frozen run: %v", err)
			}
			start := encoderValues(t, first)
			if len(start) != 100 {
				t.Errorf("%d encoder variables, want ResNet-18's 100", len(start))
			}
			frozen, err := train("frozen", tvSet+";enc_freeze=true", run.Dir(first).Ckpt())
			if err != nil {
				t.Fatalf("frozen run from first's encoder: %v", err)
			}
			if n := changed(start, encoderValues(t, frozen)); n != 0 {
				t.Errorf("enc_freeze=true: %d encoder variables changed in training", n)
			}
			// An encoder of another depth is refused, naming the fitting -set.
			if _, err := train("deeper", tvSet+";enc_freeze=true;enc_depth=34", run.Dir(first).Ckpt()); err == nil ||
				!strings.Contains(err.Error(), `-set "enc_arch=torchvision;enc_depth=18"`) {
				t.Errorf("ResNet-18 weights into a ResNet-34 run: error %v", err)
			}
			unfrozen, err := train("unfrozen", tvSet, run.Dir(first).Ckpt())
			if strings.HasPrefix(cfg, "onnx") {
				if err == nil || !strings.Contains(err.Error(), "GOMLX_BACKEND=go") || !strings.Contains(err.Error(), "enc_freeze=true") {
					t.Errorf("unfrozen on ONNX Runtime: error %v, want one naming GOMLX_BACKEND=go and enc_freeze=true", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unfrozen run: %v", err)
			}
			// Every convolution kernel and batch-norm variable trains (20
			// convolutions + 20 batch norms x 4 = 100).
			if n := changed(start, encoderValues(t, unfrozen)); n != len(start) {
				t.Errorf("unfrozen: %d of %d encoder variables changed in training", n, len(start))
			}
		})
	}
}
