package gomlxbench

import (
	"testing"

	"github.com/gomlx/compute"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// benchBackends yields the backends to benchmark: both CPU backends, ONNX
// Runtime only when installed.
func benchBackends(b *testing.B) map[string]compute.Backend {
	out := map[string]compute.Backend{}
	for _, bc := range BackendConfigs {
		if bc.Name == "onnx" && backend.ONNXLibrary() == "" {
			b.Logf("ONNX Runtime not installed (make onnxruntime): onnx rows skipped")
			continue
		}
		be, err := backend.New(bc.Config)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(be.Finalize)
		out[bc.Name] = be
	}
	return out
}

func benchBlocks(b *testing.B, blocks []Block) {
	bes := benchBackends(b)
	for _, bc := range BackendConfigs {
		be, ok := bes[bc.Name]
		if !ok {
			continue
		}
		for _, blk := range blocks {
			b.Run(bc.Name+"/"+blk.Name, func(b *testing.B) {
				if bc.Name == "onnx" && blk.ONNXFails {
					b.Skip("ONNX Runtime cannot differentiate this formulation")
				}
				step, err := BlockStep(be, blk)
				if err == nil {
					err = step() // compile outside the timer
				}
				if err != nil {
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
}

// BenchmarkDownsample: forward+backward of each downsampling formulation.
func BenchmarkDownsample(b *testing.B) { benchBlocks(b, DownsampleBlocks()) }

// BenchmarkAttention: forward+backward of causal multi-head attention.
func BenchmarkAttention(b *testing.B) { benchBlocks(b, AttentionBlocks()) }

// TestBlocksOnONNX checks which formulations ONNX Runtime trains: the ones
// marked ONNXFails must fail with an error naming the op (via
// backend.WrapErr), the others must run.
func TestBlocksOnONNX(t *testing.T) {
	requireONNX(t)
	be, err := backend.New("onnx:cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	for _, blk := range append(DownsampleBlocks(), AttentionBlocks()...) {
		t.Run(blk.Name, func(t *testing.T) {
			step, err := BlockStep(be, blk)
			if err == nil {
				err = step()
			}
			switch {
			case blk.ONNXFails && err == nil:
				t.Errorf("expected ONNX Runtime to fail on %s: update ONNXFails and FINDINGS.md", blk.Name)
			case blk.ONNXFails:
				var u *backend.UnsupportedOpError
				if !asUnsupported(err, &u) || u.Op == "" {
					t.Errorf("error does not name the op: %v", err)
				}
			case err != nil:
				t.Errorf("%s failed on ONNX Runtime: %v", blk.Name, err)
			}
		})
	}
}
