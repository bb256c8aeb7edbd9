package gomlxbench

import (
	"os"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// benchmarkStep times PresetStep (mrgkit's train step of a preset, batch
// 16, 200 words); MRG_BENCH_SET adds -set overrides.
func benchmarkStep(b *testing.B, cfg, preset string) {
	if cfg == "onnx:cpu" && backend.ONNXLibrary() == "" {
		b.Skip("ONNX Runtime not installed (make onnxruntime)")
	}
	be, err := backend.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	step, _, err := PresetStep(be, preset, os.Getenv("MRG_BENCH_SET"), 16, 200)
	if err != nil {
		b.Fatal(err)
	}
	for range 2 { // compile, and the re-trace once the optimiser's variables exist
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainStepCPUPresetONNX(b *testing.B) { benchmarkStep(b, "onnx:cpu", "cpu") }
func BenchmarkTrainStepCPUPresetGo(b *testing.B)   { benchmarkStep(b, backend.GoConfig, "cpu") }
func BenchmarkTrainStepTinyONNX(b *testing.B)      { benchmarkStep(b, "onnx:cpu", "tiny") }
func BenchmarkTrainStepTinyGo(b *testing.B)        { benchmarkStep(b, backend.GoConfig, "tiny") }
