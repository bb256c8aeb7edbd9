package gomlxbench

import (
	"math"
	"os"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// BenchmarkTinyTransformer: one AdamW train step of the tiny transformer
// (batch 16, seq 60, 2 layers, 128-d) on each CPU backend.
func BenchmarkTinyTransformer(b *testing.B) {
	bes := benchBackends(b)
	for _, bc := range BackendConfigs {
		be, ok := bes[bc.Name]
		if !ok {
			continue
		}
		b.Run(bc.Name, func(b *testing.B) {
			step, _ := Tiny().Step(be)
			if err := step(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := step(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTinyTrainsOnBothBackends: repeated steps on one batch must lower the
// loss from about ln(vocab) on both CPU backends.
func TestTinyTrainsOnBothBackends(t *testing.T) {
	cfg := Tiny()
	cfg.Batch, cfg.Seq = 4, 16
	cfg.LearningRate = 3e-3
	for _, bc := range BackendConfigs {
		t.Run(bc.Name, func(t *testing.T) {
			if bc.Name == "onnx" {
				requireONNX(t)
			}
			be, err := backend.New(bc.Config)
			if err != nil {
				t.Fatal(err)
			}
			defer be.Finalize()
			step, loss := cfg.Step(be)
			var first float32
			for i := range 8 {
				if err := step(); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = loss()
				}
			}
			ln := float32(math.Log(float64(cfg.Vocab)))
			// Random initialisation (backend-specific random numbers) gives
			// logits of non-trivial scale: the first loss is at least about
			// ln(vocab), not far above.
			if first < ln-0.5 || first > ln+2 || math.IsNaN(float64(first)) {
				t.Errorf("first loss %.3f, want in [ln(%d)-0.5, ln(%d)+2] = [%.3f, %.3f]", first, cfg.Vocab, cfg.Vocab, ln-0.5, ln+2)
			}
			if last := loss(); !(last < first-2) {
				t.Errorf("loss did not fall: first %.3f, after 8 steps %.3f", first, last)
			}
		})
	}
}

// requireONNX skips the test without ONNX Runtime's library (fails it under
// CI=true, where .ci/run installs it).
func requireONNX(t testing.TB) {
	t.Helper()
	if backend.ONNXLibrary() != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("ONNX Runtime library not installed")
	}
	t.Skip("ONNX Runtime library not installed (run `make onnxruntime`)")
}
