package model

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

// TestDecodeCachedMatchesDecode: incremental decoding (DecodePrefill, then
// DecodeStep with the caches reordered by a permutation at every step, as
// beam search does) gives, at every step and row, the log-probabilities
// that teacher-forced Decode gives for that row's history — on both CPU
// backends, with two decoder layers and prompt conditioning.
func TestDecodeCachedMatchesDecode(t *testing.T) {
	store, c := tinyStore(t, "vocab_size=30;dec_layers=2")
	const rows, m, steps = 3, 5, 9
	nTok := NumTokens(c.VocabSize)
	// Histories: hist[t][r] is row r's words at step t; at step t row r
	// continues row perm[t][r] with one more word.
	perm := [][]int{nil, {0, 1, 2}, {1, 0, 2}, {2, 2, 0}, {0, 1, 1}, {1, 2, 0}, {0, 0, 0}, {2, 1, 0}, {1, 1, 2}}
	hist := make([][][]int32, steps)
	hist[0] = make([][]int32, rows)
	for tt := 1; tt < steps; tt++ {
		hist[tt] = make([][]int32, rows)
		for r := range rows {
			prev := hist[tt-1][perm[tt][r]]
			hist[tt][r] = append(append([]int32(nil), prev...), int32(1+(tt*7+r*5)%c.VocabSize))
		}
	}
	// The rows are the beams of one study: the same memory and prompts, so
	// any row may continue any other's history.
	memory := make([]float32, rows*m*c.D)
	for i := range memory {
		memory[i] = float32(math.Sin(float64(i%(m*c.D))*0.37)) * 0.8
	}
	prompts := make([]int32, rows*c.NumLabels)
	for i := range prompts {
		prompts[i] = int32(((i % c.NumLabels) * 3) % 4)
	}
	width := steps - 1
	graphFn := func(scope *model.Scope, g *Graph) []*Node {
		dec := scope.Store().RootScope().In(ScopeName).In("decoder")
		mem := Const(g, tensors.FromFlatDataAndDimensions(memory, rows, m, c.D))
		pr := Const(g, tensors.FromFlatDataAndDimensions(prompts, rows, c.NumLabels))
		logp, selfKV, crossKV := DecodePrefill(dec, c, pr, mem)
		outs := []*Node{logp}
		for tt := 1; tt < steps; tt++ {
			words := make([]int32, rows)
			par := make([]int32, rows)
			for r := range rows {
				words[r] = hist[tt][r][tt-1]
				par[r] = int32(perm[tt][r])
			}
			logp, selfKV = DecodeStep(dec, c, Const(g, words), Const(g, []int32{int32(decoderPrefix(c) + tt - 1)}),
				Const(g, par), pr, selfKV, crossKV)
			outs = append(outs, logp)
		}
		// Teacher forcing over every (step, row) history, padded to width.
		all := make([]int32, steps*rows*width)
		allMem := make([]float32, 0, steps*rows*m*c.D)
		allPr := make([]int32, 0, steps*rows*c.NumLabels)
		for tt := range steps {
			for r := range rows {
				copy(all[(tt*rows+r)*width:], hist[tt][r])
				allMem = append(allMem, memory[r*m*c.D:(r+1)*m*c.D]...)
				allPr = append(allPr, prompts[r*c.NumLabels:(r+1)*c.NumLabels]...)
			}
		}
		full := LogSoftmax(Decode(dec, c,
			Const(g, tensors.FromFlatDataAndDimensions(all, steps*rows, width)),
			Const(g, tensors.FromFlatDataAndDimensions(allPr, steps*rows, c.NumLabels)),
			Const(g, tensors.FromFlatDataAndDimensions(allMem, steps*rows, m, c.D))), -1)
		return append(outs, full)
	}
	// The variables are created on the first backend and read by the
	// second, so both stay alive to the end.
	var backends []interface{ Finalize() }
	defer func() {
		for _, b := range backends {
			b.Finalize()
		}
	}()
	check := func(t *testing.T, be string) {
		b, err := backend.New(be)
		if err != nil {
			t.Fatal(err)
		}
		backends = append(backends, b)
		e, err := model.NewExec(b, store, graphFn)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := e.Exec()
		if err != nil {
			t.Fatal(err)
		}
		full := tensors.MustCopyFlatData[float32](outs[steps])
		checked := 0
		for tt := range steps {
			got := tensors.MustCopyFlatData[float32](outs[tt])
			for r := range rows {
				checked++
				base := ((tt*rows+r)*(width+1) + tt) * nTok
				for v := range nTok {
					if d := math.Abs(float64(got[r*nTok+v] - full[base+v])); d > 1e-4 {
						t.Fatalf("step %d row %d token %d: cached %g, Decode %g", tt, r, v, got[r*nTok+v], full[base+v])
					}
				}
			}
		}
		if checked != steps*rows {
			t.Fatalf("%d (step, row) pairs checked, want %d", checked, steps*rows)
		}
	}
	t.Run("go", func(t *testing.T) { check(t, backend.GoConfig) })
	t.Run("onnx", func(t *testing.T) {
		fixture.RequireONNX(t, "cached decoding on ONNX Runtime")
		check(t, "onnx:cpu")
	})
}
