package model

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
)

// negInf is the additive attention bias for masked positions.
const negInf = -1e9

// layerNorm normalises the last axis with learned gain and offset.
func layerNorm(scope *model.Scope, x *Node) *Node {
	return norm.LayerNorm(scope, x, -1).Epsilon(1e-5).Done()
}

// ffn is the transformer feed-forward block: Dense(hidden) → GELU → dropout → Dense(d).
func ffn(scope *model.Scope, x *Node, hidden int, dropout float64) *Node {
	d := x.Shape().Dimensions[x.Rank()-1]
	h := layers.DenseWithBias(scope.In("fc1"), x, hidden)
	h = activation.Gelu(h)
	h = layers.DropoutStatic(scope, h, dropout)
	return layers.DenseWithBias(scope.In("fc2"), h, d)
}

// attention is multi-head scaled dot-product attention.
//
//	query  [B, Lq, Dq]
//	kv     [B, Lk, Dk]
//	bias   nil or additive scores bias broadcastable to [B, H, Lq, Lk]
//	       (0 where attention is allowed, negInf where masked).
//
// It returns the output [B, Lq, d] (d = heads*headDim, projected back to d)
// and the attention weights averaged over heads [B, Lq, Lk].
//
// Why not GoMLX's attention.MultiHeadAttention (v0.28.16): it would compute
// the same full-sequence attention (WithAttentionBias, DoneWithCoefficients),
// but it puts its projections under <scope>/MultiHeadAttention/, so every
// existing run's checkpoint would need migrating; the cached decoder (decodecache.go)
// projects each new position's key and value with these same variables and
// keeps its own cache, which GoMLX's layer would route through its kvcache
// package instead; and the demo's numbers must stay as they are (issue 17).
// The go/onnx parity test and TestDecodeCachedMatchesDecode guard this one.
func attention(scope *model.Scope, query, kv, bias *Node, heads, d int, dropout float64) (out, weights *Node) {
	headDim := d / heads
	q := layers.DenseWithBias(scope.In("query"), query, heads, headDim) // [B, Lq, H, hd]
	k := layers.DenseWithBias(scope.In("key"), kv, heads, headDim)      // [B, Lk, H, hd]
	v := layers.DenseWithBias(scope.In("value"), kv, heads, headDim)    // [B, Lk, H, hd]
	scores := Einsum("bqhd,bkhd->bhqk", q, k)
	scores = MulScalar(scores, 1/math.Sqrt(float64(headDim)))
	if bias != nil {
		scores = Add(scores, bias)
	}
	probs := Softmax(scores, -1)
	weights = ReduceMean(probs, 1)
	probs = layers.DropoutStatic(scope, probs, dropout)
	ctx := Einsum("bhqk,bkhd->bqhd", probs, v) // [B, Lq, H, hd]
	dims := ctx.Shape().Dimensions
	ctx = Reshape(ctx, dims[0], dims[1], heads*headDim)
	out = layers.DenseWithBias(scope.In("output"), ctx, d)
	return out, weights
}

// maskToBias turns a boolean mask (true = attend) into an additive bias.
func maskToBias(mask *Node) *Node {
	zeros := ZerosLike(ConvertDType(mask, dtypesFloat))
	return Where(mask, zeros, AddScalar(zeros, negInf))
}

// causalBias returns [1, 1, L, L] with 0 on and below the diagonal, negInf above.
func causalBias(g *Graph, l int) *Node {
	rows := Iota(g, shapeInt32(l, l), 0)
	cols := Iota(g, shapeInt32(l, l), 1)
	bias := Where(GreaterOrEqual(rows, cols), Zeros(g, shapeFloat(l, l)), AddScalar(Zeros(g, shapeFloat(l, l)), negInf))
	return Reshape(bias, 1, 1, l, l)
}

// sinusoidal returns the [n, d] sinusoidal encoding of integer positions 0..n-1.
func sinusoidalTable(n, d int) [][]float32 {
	t := make([][]float32, n)
	for p := 0; p < n; p++ {
		t[p] = make([]float32, d)
		for i := 0; i < d; i++ {
			freq := math.Pow(10000, -float64(2*(i/2))/float64(d))
			if i%2 == 0 {
				t[p][i] = float32(math.Sin(float64(p) * freq))
			} else {
				t[p][i] = float32(math.Cos(float64(p) * freq))
			}
		}
	}
	return t
}
