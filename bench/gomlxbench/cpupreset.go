package gomlxbench

import (
	"math/rand"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// PresetVocab is the default vocabulary size (words) of the preset
// workloads: IU X-Ray's R2Gen vocabulary at threshold 3 is about this size.
// bench/torch_cpu_preset.py uses the same default.
const PresetVocab = 760

// PresetStep builds one phase-1 (teacher) train step of a model preset —
// train.TeacherStepGraph with AdamW — on backend be, with random inputs of
// the preset's shapes: images [batch, views, H, W, C], tokens [batch,
// max_len] (max_len/2 .. max_len-1 words, then padding) and label classes
// [batch, 14]. set uses the -set syntax ("k=v;k2=v2"). The benchmarks
// (BenchmarkTrainStep*, the "cpu" workload of bench/cmd/gostep and
// bench/compare) time the returned step; the store holds the model.
func PresetStep(be compute.Backend, preset, set string, batch, vocab int) (step func() error, store *model.Store, err error) {
	step, _, store, err = PresetStepWithGraph(be, preset, set, batch, vocab)
	return step, store, err
}

// PresetStepWithGraph is PresetStep that also returns a function giving the
// compiled train graph of the last step (nil before the first): benchmarks
// count its ops and export it (ONNX Runtime's profiler).
func PresetStepWithGraph(be compute.Backend, preset, set string, batch, vocab int) (step func() error, last func() *graph.Graph, store *model.Store, err error) {
	defer backend.Recover(&err)
	store = model.NewStore()
	if err := train.Configure(store, preset, set); err != nil {
		return nil, nil, nil, err
	}
	root := store.RootScope()
	root.SetParam(mrgmodel.ParamVocabSize, vocab)
	root.SetParam(train.ParamTotalSteps, 1000)
	if err := store.SetRNGStateFromSeed(1); err != nil {
		return nil, nil, nil, err
	}
	c := mrgmodel.ReadConfig(store)
	exec, err := model.NewExec(be, store, train.TeacherStepGraph(train.AdamW{}))
	if err != nil {
		return nil, nil, nil, err
	}
	rng := rand.New(rand.NewSource(1))
	img := make([]float32, batch*c.Views*c.ImageSize*c.ImageSize*c.Channels)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	toks := make([]int32, batch*c.MaxLen)
	for i := range batch {
		n := c.MaxLen/2 + rng.Intn(c.MaxLen/2)
		for j := 0; j < n && j < c.MaxLen-1; j++ {
			toks[i*c.MaxLen+j] = int32(1 + rng.Intn(vocab))
		}
	}
	labels := make([]int32, batch*c.NumLabels)
	for i := range labels {
		labels[i] = int32(rng.Intn(4))
	}
	images := tensors.FromFlatDataAndDimensions(img, batch, c.Views, c.ImageSize, c.ImageSize, c.Channels)
	tokens := tensors.FromFlatDataAndDimensions(toks, batch, c.MaxLen)
	lab := tensors.FromFlatDataAndDimensions(labels, batch, c.NumLabels)
	var g *graph.Graph
	return func() (err error) {
		defer backend.Recover(&err)
		outs, gr, err := exec.ExecWithGraph(images, tokens, lab)
		g = gr
		if err != nil {
			return backend.WrapErr(err)
		}
		for _, t := range outs {
			_ = t.FinalizeAll()
		}
		return nil
	}, func() *graph.Graph { return g }, store, nil
}

func init() {
	workloads["cpu"] = func(be compute.Backend, o WorkloadOptions) (func() error, error) {
		if o.Batch <= 0 {
			o.Batch = 16
		}
		if o.Vocab <= 0 {
			o.Vocab = PresetVocab
		}
		step, last, _, err := PresetStepWithGraph(be, "cpu", o.Set, o.Batch, o.Vocab)
		if err == nil && o.Graph != nil {
			o.Graph(last)
		}
		return step, err
	}
}
