package model

import (
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Store paths of the model's non-trainable variables that the loop and the
// loader set from outside the graph (below the model scope, ScopeName).
const (
	DiagnosisScope  = "/" + ScopeName + "/diagnosis" // Diagnose's scope
	KnowledgeScope  = "/" + ScopeName + "/knowledge" // KnowledgeGraph's scope
	EdgeWeightsName = "edge_weights"                 // KnowledgeGraph's co-occurrence edge weights [K, K]
)

// SetBaseProb sets the diagnosis branch's adaptive base probabilities
// (one per label), creating the variable (non-trainable) when the graph has
// not been built yet.
func SetBaseProb(store *model.Store, p []float32) error {
	t := tensors.FromFlatDataAndDimensions(append([]float32(nil), p...), len(p))
	if v := store.GetVariable(DiagnosisScope + "/" + basePriorName); v != nil {
		return v.SetValue(t)
	}
	v, err := store.Scope(DiagnosisScope).CreateVariable(basePriorName, t)
	if err != nil {
		return err
	}
	v.SetTrainable(false)
	return nil
}

// SetEdgeWeights creates the knowledge graph's edge weights [K, K]
// (non-trainable) before the graph is built.
func SetEdgeWeights(store *model.Store, w [][]float32) error {
	k := len(w)
	flat := make([]float32, 0, k*k)
	for _, r := range w {
		flat = append(flat, r...)
	}
	v, err := store.Scope(KnowledgeScope).CreateVariable(EdgeWeightsName, tensors.FromFlatDataAndDimensions(flat, k, k))
	if err != nil {
		return err
	}
	v.SetTrainable(false)
	return nil
}
