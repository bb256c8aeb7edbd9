package train

import (
	"math/rand"
	"os"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

// StepBench compiles one training step of a preset on a backend with
// random inputs of the preset's shapes; bench/compare and the benchmarks
// below time it.
type StepBench struct {
	exec                  *model.Exec
	images, tokens, label *tensors.Tensor
}

// NewStepBench prepares a train step for preset with batch size b and a
// vocabulary of v words.
func NewStepBench(be compute.Backend, preset, set string, b, v int) (*StepBench, error) {
	store := model.NewStore()
	if err := Configure(store, preset, set); err != nil {
		return nil, err
	}
	store.RootScope().SetParam(mrgmodel.ParamVocabSize, v)
	store.RootScope().SetParam(ParamTotalSteps, 1000)
	_ = store.SetRNGStateFromSeed(1)
	c := mrgmodel.ReadConfig(store)
	exec, err := model.NewExec(be, store, TeacherStepGraph(AdamW{}))
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(1))
	img := make([]float32, b*c.Views*c.ImageSize*c.ImageSize*c.Channels)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	toks := make([]int32, b*c.MaxLen)
	for i := 0; i < b; i++ {
		n := c.MaxLen/2 + rng.Intn(c.MaxLen/2)
		for j := 0; j < n && j < c.MaxLen-1; j++ {
			toks[i*c.MaxLen+j] = int32(1 + rng.Intn(v))
		}
	}
	labels := make([]int32, b*c.NumLabels)
	for i := range labels {
		labels[i] = int32(rng.Intn(4))
	}
	return &StepBench{exec: exec,
		images: tensors.FromFlatDataAndDimensions(img, b, c.Views, c.ImageSize, c.ImageSize, c.Channels),
		tokens: tensors.FromFlatDataAndDimensions(toks, b, c.MaxLen),
		label:  tensors.FromFlatDataAndDimensions(labels, b, c.NumLabels)}, nil
}

// Step runs one training step.
func (s *StepBench) Step() error {
	outs, err := s.exec.Exec(s.images, s.tokens, s.label)
	for _, t := range outs {
		_ = t.FinalizeAll()
	}
	return err
}

func benchmarkStep(b *testing.B, cfg, preset string) {
	if cfg == "onnx:cpu" && backend.ONNXLibrary() == "" {
		b.Skip("ONNX Runtime not installed (make onnxruntime)")
	}
	be, err := backend.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewStepBench(be, preset, os.Getenv("MRG_BENCH_SET"), 16, 200)
	if err != nil {
		b.Fatal(err)
	}
	for range 2 { // compile, and the re-trace once the optimiser's variables exist
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainStepCPUPresetONNX(b *testing.B) { benchmarkStep(b, "onnx:cpu", "cpu") }
func BenchmarkTrainStepCPUPresetGo(b *testing.B)   { benchmarkStep(b, "go", "cpu") }
func BenchmarkTrainStepTinyONNX(b *testing.B)      { benchmarkStep(b, "onnx:cpu", "tiny") }
func BenchmarkTrainStepTinyGo(b *testing.B)        { benchmarkStep(b, "go", "tiny") }
