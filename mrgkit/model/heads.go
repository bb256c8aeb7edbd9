package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/pkg/errors"
)

// broadcastBatch turns [K, d] into [B, K, d].
func broadcastBatch(x *Node, b int) *Node {
	d := x.Shape().Dimensions
	return BroadcastToDims(Reshape(x, 1, d[0], d[1]), b, d[0], d[1])
}

// Fuse is the visual–knowledge fusion: patches (projected to d) attend to
// the node states in FusionLayers pre-LN layers, then an MLP
// d → MemoryDim → d gives the decoder memory E [B, N, d]. It also returns the
// last layer's patch→node attention weights [B, N, K].
func Fuse(scope *model.Scope, c Config, patchesD, nodes *Node) (memory, attn *Node) {
	b := patchesD.Shape().Dimensions[0]
	kv := broadcastBatch(nodes, b)
	x := patchesD
	for l := 0; l < c.FusionLayers; l++ {
		s := scope.In("layer%d", l+1)
		var h *Node
		h, attn = attention(s.In("cross_attn"), layerNorm(s.In("ln1"), x), kv, nil, c.FusionHeads, c.D, c.Dropout)
		x = Add(x, h)
		x = Add(x, ffn(s.In("ffn"), layerNorm(s.In("ln2"), x), c.FFN, c.Dropout))
	}
	x = layerNorm(scope.In("final_ln"), x)
	h := activation.Relu(layers.DenseWithBias(scope.In("mlp1"), x, c.MemoryDim))
	memory = layers.DenseWithBias(scope.In("mlp2"), h, c.D)
	return memory, attn
}

// basePriorName is the variable (in DiagnosisScope) of the diagnosis
// branch's adaptive base probabilities.
const basePriorName = "base_prob"

// Diagnose is the disease-diagnosis branch: a query from the global vector
// attends to `memory` [B, M, d] through DiagLayers transformer-decoder layers
// (cross-attention + FFN); [g; h] → linear gives logits [B, D, 4].
// It returns the raw logits and the logits adjusted by the adaptive base
// probabilities (positive logit minus log(base_prob[d])), used at inference.
func Diagnose(scope *model.Scope, c Config, globalD, memory *Node) (logits, adjusted *Node) {
	g := globalD.Graph()
	b := globalD.Shape().Dimensions[0]
	q := Reshape(globalD, b, 1, c.D)
	for l := 0; l < c.DiagLayers; l++ {
		s := scope.In("layer%d", l+1)
		h, _ := attention(s.In("cross_attn"), layerNorm(s.In("ln1"), q), memory, nil, c.Heads, c.D, c.Dropout)
		q = Add(q, h)
		q = Add(q, ffn(s.In("ffn"), layerNorm(s.In("ln2"), q), c.FFN, c.Dropout))
	}
	h := Reshape(layerNorm(scope.In("final_ln"), q), b, c.D)
	feat := Concatenate([]*Node{globalD, h}, -1)
	logits = Reshape(layers.DenseWithBias(scope.In("classifier"), feat, c.NumLabels*4), b, c.NumLabels, 4)

	prior := scope.WithInitializer(initializer.One).VariableWithShape(basePriorName, shapeFloat(c.NumLabels)).SetTrainable(false)
	logPrior := Log(prior.NodeValue(g)) // [D]
	// Only the positive class (index 1) is shifted.
	onehot := OneHot(Const(g, []int32{1}), 4, dtypesFloat) // [1, 4]
	shift := Mul(Reshape(logPrior, 1, c.NumLabels, 1), Reshape(onehot, 1, 1, 4))
	adjusted = Sub(logits, shift)
	return logits, adjusted
}

// decoderPrefix returns the number of decoder positions before the first
// report token: BOS plus the prompt tokens.
func decoderPrefix(c Config) int {
	if c.UsePrompts {
		return 1 + c.NumLabels
	}
	return 1
}

// promptRows returns the row of each prompt's (observation, state) in the
// [NumLabels*4, d] prompt tables: prompts [B, D] → [B, D].
func promptRows(c Config, prompts *Node) *Node {
	offsets := MulScalar(Iota(prompts.Graph(), shapeInt32(1, c.NumLabels), 1), 4)
	return Add(ConvertDType(prompts, offsets.DType()), offsets)
}

// prefixEmbeddings returns the decoder's embedded prefix for b rows: BOS
// [b, 1, d] and, with prompts, the prompt tokens [b, D, d].
func prefixEmbeddings(es *model.Scope, c Config, table, prompts *Node, b int) []*Node {
	g := table.Graph()
	bos := Gather(table, Const(g, [][]int32{{int32(BOSID(c.VocabSize))}})) // [1, d]
	parts := []*Node{BroadcastToDims(Reshape(bos, 1, 1, c.D), b, 1, c.D)}
	if c.UsePrompts {
		ptable := es.VariableWithShape("prompts", shapeFloat(c.NumLabels*4, c.D)).NodeValue(g)
		parts = append(parts, Gather(ptable, ExpandAxes(promptRows(c, prompts), -1)))
	}
	return parts
}

// promptCond is the prompt conditioning vector [B, d]: the sum of the
// prompts' learned (observation, state) embeddings.
func promptCond(es *model.Scope, c Config, prompts *Node) *Node {
	ctable := es.VariableWithShape("prompt_cond", shapeFloat(c.NumLabels*4, c.D)).NodeValue(prompts.Graph())
	return ReduceSum(Gather(ctable, ExpandAxes(promptRows(c, prompts), -1)), 1)
}

// Decode runs the prompted transformer decoder with teacher forcing.
//
//	words   [B, W] int32, W <= MaxLen-1: report word ids fed after the prefix (0-padded)
//	prompts [B, D] int32 label-state classes (ignored without prompts)
//	memory  [B, M, d]
//
// It returns logits [B, W+1, NumTokens]: position j predicts report token j
// (the first word at j=0, EOS after the last word).
func Decode(scope *model.Scope, c Config, words, prompts, memory *Node) *Node {
	g := words.Graph()
	b := words.Shape().Dimensions[0]
	nTok := NumTokens(c.VocabSize)
	es := scope.In("embeddings")
	table := es.VariableWithShape("words", shapeFloat(nTok, c.D)).NodeValue(g)

	parts := prefixEmbeddings(es, c, table, prompts, b)
	parts = append(parts, Gather(table, ExpandAxes(words, -1)))
	x := Concatenate(parts, 1) // [B, S, d]
	seq := x.Shape().Dimensions[1]
	if c.UsePrompts && c.PromptCond {
		// Prompt conditioning: every position also gets the sum of the
		// prompts' (observation, state) embeddings, so each word sees the
		// whole diagnosis without having to find it by attention.
		x = Add(x, Reshape(promptCond(es, c, prompts), b, 1, c.D))
	}
	// The position table covers the longest sequence (prefix + MaxLen-1
	// words); shorter inputs (incremental decoding) use its first rows.
	full := decoderPrefix(c) + c.MaxLen - 1
	if seq > full {
		panic(errors.Errorf("decoder input of %d positions exceeds max_len=%d", seq, c.MaxLen))
	}
	pos := es.VariableWithShape("positions", shapeFloat(full, c.D)).NodeValue(g)
	if seq < full {
		pos = Slice(pos, AxisRange(0, seq))
	}
	x = Add(x, Reshape(pos, 1, seq, c.D))
	x = layers.DropoutStatic(scope, x, c.Dropout)

	causal := causalBias(g, seq)
	for l := 0; l < c.DecLayers; l++ {
		s := scope.In("layer%d", l+1)
		xn := layerNorm(s.In("ln1"), x)
		h, _ := attention(s.In("self_attn"), xn, xn, causal, c.Heads, c.D, c.Dropout)
		x = Add(x, layers.DropoutStatic(scope, h, c.Dropout))
		h, _ = attention(s.In("cross_attn"), layerNorm(s.In("ln2"), x), memory, nil, c.Heads, c.D, c.Dropout)
		x = Add(x, layers.DropoutStatic(scope, h, c.Dropout))
		x = Add(x, layers.DropoutStatic(scope, ffn(s.In("ffn"), layerNorm(s.In("ln3"), x), c.FFN, c.Dropout), c.Dropout))
	}
	x = layerNorm(scope.In("final_ln"), x)
	p := decoderPrefix(c)
	x = Slice(x, AxisRange(), AxisRange(p-1, seq))
	return layers.DenseWithBias(scope.In("lm_head"), x, nTok)
}
