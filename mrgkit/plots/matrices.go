package plots

import (
	"math"

	"github.com/pkg/errors"
)

// ConceptAttention extracts, from a study's patch→concept attention
// (row-major [numPatches × numConcepts], patches of view 0 first, then view
// 1, each a gridH × gridW grid), the weights of one concept over the patches
// of one view, ready for AttentionOverlay.
func ConceptAttention(attn []float32, numConcepts, concept, view, gridH, gridW int) ([]float32, error) {
	if numConcepts <= 0 || concept < 0 || concept >= numConcepts {
		return nil, errors.Errorf("plots: concept %d out of range [0,%d)", concept, numConcepts)
	}
	if len(attn)%numConcepts != 0 {
		return nil, errors.Errorf("plots: %d attention weights is not a multiple of %d concepts", len(attn), numConcepts)
	}
	perView := gridH * gridW
	numPatches := len(attn) / numConcepts
	if perView <= 0 || view < 0 || (view+1)*perView > numPatches {
		return nil, errors.Errorf("plots: view %d of a %dx%d grid is outside %d patches", view, gridH, gridW, numPatches)
	}
	out := make([]float32, perView)
	for p := range out {
		out[p] = attn[(view*perView+p)*numConcepts+concept]
	}
	return out, nil
}

// BoolMatrix converts a boolean matrix (e.g. an adjacency) to 0/1 values.
func BoolMatrix(a [][]bool) [][]float64 {
	out := make([][]float64, len(a))
	for i, row := range a {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			if v {
				out[i][j] = 1
			}
		}
	}
	return out
}

// CosineSimilarity returns the matrix of cosine similarities between rows
// (e.g. learned node embeddings). A zero row has similarity 0 to all rows.
func CosineSimilarity(rows [][]float32) [][]float64 {
	norms := make([]float64, len(rows))
	for i, r := range rows {
		s := 0.0
		for _, v := range r {
			s += float64(v) * float64(v)
		}
		norms[i] = math.Sqrt(s)
	}
	out := make([][]float64, len(rows))
	for i := range rows {
		out[i] = make([]float64, len(rows))
		for j := range rows {
			if norms[i] == 0 || norms[j] == 0 {
				continue
			}
			dot := 0.0
			for k := range rows[i] {
				if k < len(rows[j]) {
					dot += float64(rows[i][k]) * float64(rows[j][k])
				}
			}
			out[i][j] = dot / (norms[i] * norms[j])
		}
	}
	return out
}
