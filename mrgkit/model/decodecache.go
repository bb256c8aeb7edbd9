package model

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// Incremental decoding with a key/value cache. Decode (teacher forcing)
// recomputes every position of the sequence; at inference a beam-search
// step needs only the newest position: its self-attention reads the keys
// and values of the earlier positions from a cache, and its
// cross-attention the memory's keys and values, computed once per batch.
// The functions below use Decode's variables (same scopes, same layers)
// and compute the same function: TestDecodeCachedMatchesDecode checks the
// log-probabilities of both against each other on both CPU backends.
//
// The caches are dense [R, S, H, hd] tensors, S = decoderPrefix(c) +
// MaxLen - 1 positions (Decode's position table), written by a one-hot mask
// rather than a dynamic update so that every backend runs it.

// decodeCacheLen is the number of positions a self-attention cache holds.
func decodeCacheLen(c Config) int { return decoderPrefix(c) + c.MaxLen - 1 }

// decodeEmbed returns the decoder's input rows for the given token
// embeddings x [R, L, d] at absolute positions pos [L] (int32): x plus
// the prompt conditioning and the position embeddings, as in Decode.
func decodeEmbed(es *model.Scope, c Config, x, prompts, pos *Node) *Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	r, l := dims[0], dims[1]
	if c.UsePrompts && c.PromptCond {
		x = Add(x, Reshape(promptCond(es, c, prompts), r, 1, c.D))
	}
	ptable := es.VariableWithShape("positions", shapeFloat(decodeCacheLen(c), c.D)).NodeValue(g)
	p := Gather(ptable, ExpandAxes(pos, -1)) // [L, d]
	return Add(x, Reshape(p, 1, l, c.D))
}

// decodeLayers runs x [R, L, d] (rows at absolute positions pos [L])
// through the decoder layers, reading and extending the self-attention
// caches selfKV (key then value per layer, [R, S, H, hd]) and attending to
// the memory keys/values crossKV. It returns the log-probabilities of the
// next token after the last of the L positions [R, nTok] and the updated
// caches.
func decodeLayers(scope *model.Scope, c Config, x, pos *Node, selfKV, crossKV []*Node) (logp *Node, newKV []*Node) {
	g := x.Graph()
	s := decodeCacheLen(c)
	heads, hd := c.Heads, c.D/c.Heads
	l := x.Shape().Dimensions[1]
	// write [L, S]: 1 where a new position goes; allowed [L, S]: the causal
	// mask of the new positions over the whole cache.
	cols := Iota(g, shapeInt32(l, s), 1)
	rowsPos := BroadcastToDims(Reshape(ConvertDType(pos, cols.DType()), l, 1), l, s)
	write := ConvertDType(Equal(cols, rowsPos), dtypesFloat)
	keep := OneMinus(ReduceMax(write, 0)) // [S]: 0 where a new position goes
	bias := Where(LessOrEqual(cols, rowsPos), Zeros(g, shapeFloat(l, s)), AddScalar(Zeros(g, shapeFloat(l, s)), negInf))
	bias = Reshape(bias, 1, 1, l, s)
	scale := 1 / math.Sqrt(float64(hd))
	update := func(cache, fresh *Node) *Node { // cache [R,S,H,hd], fresh [R,L,H,hd]
		placed := Einsum("ls,rlhd->rshd", write, fresh)
		return Add(Mul(cache, Reshape(keep, 1, s, 1, 1)), placed)
	}
	attend := func(sc *model.Scope, q, k, v, bias *Node) *Node {
		scores := MulScalar(Einsum("bqhd,bkhd->bhqk", q, k), scale)
		if bias != nil {
			scores = Add(scores, bias)
		}
		ctx := Einsum("bhqk,bkhd->bqhd", Softmax(scores, -1), v)
		ctx = Reshape(ctx, ctx.Shape().Dimensions[0], l, heads*hd)
		return layers.DenseWithBias(sc.At("output"), ctx, c.D)
	}
	for layer := 0; layer < c.DecLayers; layer++ {
		ls := scope.At("layer%d", layer+1)
		xn := layerNorm(ls.At("ln1"), x)
		sa := ls.At("self_attn")
		q := layers.DenseWithBias(sa.At("query"), xn, heads, hd)
		k := update(selfKV[2*layer], layers.DenseWithBias(sa.At("key"), xn, heads, hd))
		v := update(selfKV[2*layer+1], layers.DenseWithBias(sa.At("value"), xn, heads, hd))
		newKV = append(newKV, k, v)
		x = Add(x, attend(sa, q, k, v, bias))
		ca := ls.At("cross_attn")
		q = layers.DenseWithBias(ca.At("query"), layerNorm(ls.At("ln2"), x), heads, hd)
		x = Add(x, attend(ca, q, crossKV[2*layer], crossKV[2*layer+1], nil))
		x = Add(x, ffn(ls.At("ffn"), layerNorm(ls.At("ln3"), x), c.FFN, 0))
	}
	x = layerNorm(scope.At("final_ln"), Slice(x, AxisRange(), AxisRange(l-1, l)))
	logits := layers.DenseWithBias(scope.At("lm_head"), x, NumTokens(c.VocabSize))
	return Reshape(LogSoftmax(logits, -1), x.Shape().Dimensions[0], NumTokens(c.VocabSize)), newKV
}

// DecodePrefill starts incremental decoding of R rows: it runs the prefix
// (BOS and the prompt tokens) and returns the log-probabilities of the
// first word [R, nTok], the self-attention caches holding the prefix
// (2·DecLayers, [R, S, H, hd]) and the memory's cross-attention keys and
// values (2·DecLayers, [R, M, H, hd]).
func DecodePrefill(scope *model.Scope, c Config, prompts, memory *Node) (logp *Node, selfKV, crossKV []*Node) {
	g := memory.Graph()
	r := memory.Shape().Dimensions[0]
	heads, hd := c.Heads, c.D/c.Heads
	es := scope.At("embeddings")
	table := es.VariableWithShape("words", shapeFloat(NumTokens(c.VocabSize), c.D)).NodeValue(g)
	x := Concatenate(prefixEmbeddings(es, c, table, prompts, r), 1)
	p := decoderPrefix(c)
	x = decodeEmbed(es, c, x, prompts, Iota(g, shapeInt32(p), 0))
	s := decodeCacheLen(c)
	for layer := 0; layer < c.DecLayers; layer++ {
		ca := scope.At("layer%d", layer+1).At("cross_attn")
		crossKV = append(crossKV,
			layers.DenseWithBias(ca.At("key"), memory, heads, hd),
			layers.DenseWithBias(ca.At("value"), memory, heads, hd))
		selfKV = append(selfKV, Zeros(g, shapeFloat(r, s, heads, hd)), Zeros(g, shapeFloat(r, s, heads, hd)))
	}
	logp, selfKV = decodeLayers(scope, c, x, Iota(g, shapeInt32(p), 0), selfKV, crossKV)
	return logp, selfKV, crossKV
}

// DecodeStep advances incremental decoding by one word per row: words [R]
// are the rows' newest words, at absolute position pos [1] (int32:
// decoderPrefix + the number of words before it); parents [R] reorders the
// caches first (row r continues the hypothesis of row parents[r]). It
// returns the next word's log-probabilities [R, nTok] and the new caches.
func DecodeStep(scope *model.Scope, c Config, words, pos, parents, prompts *Node, selfKV, crossKV []*Node) (logp *Node, newKV []*Node) {
	g := words.Graph()
	r := words.Shape().Dimensions[0]
	es := scope.At("embeddings")
	table := es.VariableWithShape("words", shapeFloat(NumTokens(c.VocabSize), c.D)).NodeValue(g)
	x := Reshape(Gather(table, ExpandAxes(words, -1)), r, 1, c.D)
	x = decodeEmbed(es, c, x, prompts, pos)
	idx := ExpandAxes(parents, -1)
	reordered := make([]*Node, len(selfKV))
	for i, kv := range selfKV {
		reordered[i] = Gather(kv, idx)
	}
	return decodeLayers(scope, c, x, pos, reordered, crossKV)
}
