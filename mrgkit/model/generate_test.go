package model

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

// TestGenerateSameOnBothCPUBackends: the batched beam search of a (random,
// untrained) tiny model gives the same reports and diagnosis on the pure-Go
// backend and on ONNX Runtime, for greedy and beam decoding, with length
// normalisation, n-gram blocking and a repetition penalty.
func TestGenerateSameOnBothCPUBackends(t *testing.T) {
	fixture.RequireONNX(t, "go/onnx generation parity")
	store, c := tinyStore(t, "vocab_size=30")
	goBE, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer goBE.Finalize()
	onnxBE, err := backend.New("onnx:cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer onnxBE.Finalize()
	b := 3
	pix := make([]float32, b*c.Views*c.ImageSize*c.ImageSize*c.Channels)
	for i := range pix {
		pix[i] = float32((i*7919)%251)/125 - 1
	}
	img := func() *tensors.Tensor { // a tensor per call: tensors are bound to one backend
		return tensors.FromFlatDataAndDimensions(pix, b, c.Views, c.ImageSize, c.ImageSize, c.Channels)
	}
	gens := map[string]*Generator{}
	gGo, err := NewGenerator(goBE, store)
	if err != nil {
		t.Fatal(err)
	}
	gens["go"] = gGo
	// Variables are created (initialised) by the first run; the ONNX
	// generator then reads the same values.
	if _, err := gGo.Generate(img(), DecodeOptions{Beam: 1, RepetitionPenalty: 1}); err != nil {
		t.Fatal(err)
	}
	gOnnx, err := NewGenerator(onnxBE, store)
	if err != nil {
		t.Fatal(err)
	}
	gens["onnx"] = gOnnx
	for _, opts := range []DecodeOptions{
		{Beam: 1, MinLen: 2, RepetitionPenalty: 1},
		DefaultDecodeOptions(),
		{Beam: 4, MinLen: 1, LengthPenalty: 2, RepetitionPenalty: 1.3, NoRepeatNgram: 2},
	} {
		var words [2][][]int32
		var labels [2][]string
		for k, name := range []string{"go", "onnx"} {
			preds, err := gens[name].Generate(img(), opts)
			if err != nil {
				t.Fatalf("%s %+v: %v", name, opts, err)
			}
			for _, p := range preds {
				words[k] = append(words[k], p.Words)
				labels[k] = append(labels[k], fmt.Sprint(p.Labels))
			}
		}
		for i := range words[0] {
			if !slices.Equal(words[0][i], words[1][i]) {
				t.Errorf("%+v study %d: go %v, onnx %v", opts, i, words[0][i], words[1][i])
			}
			if len(words[0][i]) < opts.MinLen {
				t.Errorf("%+v study %d: %d words < min length", opts, i, len(words[0][i]))
			}
			if labels[0][i] != labels[1][i] {
				t.Errorf("%+v study %d: labels go %s, onnx %s", opts, i, labels[0][i], labels[1][i])
			}
		}
	}
}
