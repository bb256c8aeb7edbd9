package gomlxbench

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// TinyConfig sizes the tiny decoder-only transformer used as the reference
// CPU workload (bench/torch_tiny.py implements the same model).
type TinyConfig struct {
	Batch, Seq, Vocab, Dim, Heads, Layers, FFN int
	LearningRate, WeightDecay                  float64
}

// Tiny is the reference workload: 2 layers, 128-d, 4 heads, FFN 512, batch
// 16, sequence 60, vocabulary 800, AdamW(lr 1e-3, weight decay 0.01).
func Tiny() TinyConfig {
	return TinyConfig{Batch: 16, Seq: 60, Vocab: 800, Dim: 128, Heads: 4, Layers: 2, FFN: 512,
		LearningRate: 1e-3, WeightDecay: 0.01}
}

// ModelFn: token embedding + learned positions, pre-LayerNorm blocks (causal
// multi-head self-attention, ReLU FFN), final LayerNorm, vocabulary logits.
func (c TinyConfig) ModelFn(scope *model.Scope, tokens *Node) *Node {
	g := tokens.Graph()
	x := layers.Embedding(scope.In("tokens"), tokens, dtypes.Float32, c.Vocab, c.Dim)
	pos := scope.In("positions").VariableWithShape("embeddings", shapes.Make(dtypes.Float32, c.Seq, c.Dim)).NodeValue(g)
	x = Add(x, InsertAxes(pos, 0))
	for l := range c.Layers {
		ls := scope.In("layer_%d", l)
		h := norm.LayerNorm(ls.In("ln_attention"), x, -1).Epsilon(1e-5).Done()
		h = attention.SelfAttention(ls.In("attention"), h, c.Heads, c.Dim/c.Heads).WithCausalMask(true).Done()
		x = Add(x, h)
		h = norm.LayerNorm(ls.In("ln_ffn"), x, -1).Epsilon(1e-5).Done()
		h = activation.Relu(layers.DenseWithBias(ls.In("ffn_in"), h, c.FFN))
		h = layers.DenseWithBias(ls.In("ffn_out"), h, c.Dim)
		x = Add(x, h)
	}
	x = norm.LayerNorm(scope.In("ln_final"), x, -1).Epsilon(1e-5).Done()
	return layers.DenseWithBias(scope.In("logits"), x, c.Vocab)
}

// NewTrainer returns a GoMLX trainer (AdamW, sparse softmax cross-entropy
// over every position) for the tiny transformer on backend be.
func (c TinyConfig) NewTrainer(be compute.Backend) *train.Trainer {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(42))
	opt := optimizer.Adam().LearningRate(c.LearningRate).WeightDecay(c.WeightDecay).Done()
	return train.NewTrainer(be, store, c.ModelFn, loss.SparseCategoricalCrossEntropyLogits, opt, nil, nil)
}

// MakeBatch returns a fresh batch (the trainer takes ownership of its tensors):
// deterministic token ids [Batch, Seq] and next-token labels [Batch, Seq, 1].
func (c TinyConfig) MakeBatch(seed uint64) train.Batch {
	n := c.Batch * c.Seq
	tok := make([]int32, n)
	lab := make([]int32, n)
	s := seed*6364136223846793005 + 1442695040888963407
	next := func() int32 {
		s = s*6364136223846793005 + 1442695040888963407
		return int32((s >> 33) % uint64(c.Vocab))
	}
	for b := range c.Batch {
		row := make([]int32, c.Seq+1)
		for i := range row {
			row[i] = next()
		}
		copy(tok[b*c.Seq:], row[:c.Seq])
		copy(lab[b*c.Seq:], row[1:])
	}
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(tok, c.Batch, c.Seq)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(lab, c.Batch, c.Seq, 1)},
	}
}

// Step returns a function running one train step on a fixed batch, and the
// loss of the last step run.
func (c TinyConfig) Step(be compute.Backend) (step func() error, lastLoss func() float32) {
	tr := c.NewTrainer(be)
	var last float32
	step = func() (err error) {
		defer backend.Recover(&err)
		metrics, err := tr.TrainStep(c.MakeBatch(1))
		if err != nil {
			return backend.WrapErr(err)
		}
		last = tensors.ToScalar[float32](metrics[0])
		for _, m := range metrics {
			_ = m.FinalizeAll()
		}
		return nil
	}
	return step, func() float32 { return last }
}
