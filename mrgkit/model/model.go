package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// ScopeName is the scope under the store root that holds the model's variables.
const ScopeName = "model"

// Output holds the nodes one forward pass produces.
type Output struct {
	LMLogits    *Node // [B, MaxLen, NumTokens]; nil from Encode
	ClsLogits   *Node // [B, D, 4] raw diagnosis logits; nil without prompts
	ClsAdjusted *Node // [B, D, 4] logits after adaptive logit adjustment
	Patches     *Node // [B, N, VisualDim] visual patch features (local KD)
	Global      *Node // [B, VisualDim]
	Memory      *Node // [B, M, d] decoder memory
	FusionAttn  *Node // [B, N, K] patch→concept attention; nil without fusion
	Nodes       *Node // [K, d] knowledge-graph node states; nil without graph
	GraphAttn   *Node // [K, K] last graph layer's attention; nil without graph
}

// Encode runs everything up to the decoder memory and the diagnosis.
// images is [B, V, H, W, C] float32.
func Encode(scope *model.Scope, c Config, images *Node) Output {
	var out Output
	out.Patches, out.Global = EncodeImages(scope.In("encoder"), c, images)
	g := images.Graph()
	patchesD := layers.DenseWithBias(scope.In("patch_proj"), out.Patches, c.D)
	globalD := layers.DenseWithBias(scope.In("global_proj"), out.Global, c.D)
	b := patchesD.Shape().Dimensions[0]

	out.Memory = patchesD
	diagMemory := patchesD
	if c.UseGraph {
		out.Nodes, out.GraphAttn = KnowledgeGraph(scope.In("knowledge"), g, c)
		diagMemory = broadcastBatch(out.Nodes, b)
		if c.UseFusion {
			out.Memory, out.FusionAttn = Fuse(scope.In("fusion"), c, patchesD, out.Nodes)
		} else {
			// Graph without fusion: the decoder reads patches and nodes side by side.
			out.Memory = Concatenate([]*Node{patchesD, diagMemory}, 1)
		}
	}
	if c.UsePrompts {
		out.ClsLogits, out.ClsAdjusted = Diagnose(scope.In("diagnosis"), c, globalD, diagMemory)
	}
	return out
}

// Forward is Encode followed by the decoder with teacher forcing on tokens
// [B, MaxLen] (word ids, 0-padded). prompts [B, D] are the label-state
// classes given to the decoder (ground truth in training); ignored without
// prompts.
func Forward(scope *model.Scope, c Config, images, tokens, prompts *Node) Output {
	out := Encode(scope, c, images)
	words := Slice(tokens, AxisRange(), AxisRange(0, c.MaxLen-1))
	out.LMLogits = Decode(scope.In("decoder"), c, words, prompts, out.Memory)
	return out
}

// TokenMask returns the float mask [B, MaxLen] of the report positions that
// count in the loss: every word and the EOS after the last word.
func TokenMask(tokens *Node) *Node {
	g := tokens.Graph()
	d := tokens.Shape().Dimensions
	nonzero := ConvertDType(NotEqual(tokens, ZerosLike(tokens)), dtypesFloat)
	length := ReduceSum(nonzero, 1) // [B]
	pos := ConvertDType(Iota(g, shapeInt32(d[0], d[1]), 1), dtypesFloat)
	return ConvertDType(LessOrEqual(pos, ExpandAxes(length, -1)), dtypesFloat)
}

// LMLoss is the label-smoothed cross-entropy of the report tokens, averaged
// over the positions TokenMask selects (prompt and padding positions excluded).
func LMLoss(logits, tokens *Node, smoothing float64) *Node {
	nTok := logits.Shape().Dimensions[2]
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(tokens, nTok, dtypesFloat)
	nll := Neg(ReduceSum(Mul(onehot, logp), -1)) // [B, L]
	smooth := Neg(ReduceMean(logp, -1))          // [B, L]
	perTok := Add(MulScalar(nll, 1-smoothing), MulScalar(smooth, smoothing))
	mask := TokenMask(tokens)
	return Div(ReduceAllSum(Mul(perTok, mask)), MaxScalar(ReduceAllSum(mask), 1))
}

// ClsLoss is the mean cross-entropy of the diagnosis logits [B, D, 4] against
// the label classes [B, D].
func ClsLoss(logits, labels *Node) *Node {
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(labels, 4, dtypesFloat)
	return Neg(ReduceAllMean(ReduceSum(Mul(onehot, logp), -1)))
}

// Losses returns the phase-1 loss L = L_lm + cls_weight * L_cls and its parts
// (cls is a zero scalar without the diagnosis branch).
func Losses(c Config, out Output, tokens, labels *Node) (total, lm, cls *Node) {
	lm = LMLoss(out.LMLogits, tokens, c.LabelSmoothing)
	if out.ClsLogits == nil {
		cls = ScalarZero(lm.Graph(), lm.DType())
		return lm, lm, cls
	}
	cls = ClsLoss(out.ClsLogits, labels)
	return Add(lm, MulScalar(cls, c.ClsWeight)), lm, cls
}
