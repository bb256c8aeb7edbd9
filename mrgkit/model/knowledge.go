package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Concept is one node of the clinical knowledge graph.
type Concept struct {
	Name  string
	Group int // organ group, see Groups
	// Observation is the CheXpert observation index the concept belongs to
	// (for co-occurrence edge weights), or -1.
	Observation int
}

// Groups names the organ groups of the knowledge graph.
var Groups = []string{"global", "other finding", "heart and mediastinum", "lungs", "pleura", "bones", "devices"}

// Concepts are the 27 nodes. Node 0 is the global node, linked to every node.
var Concepts = []Concept{
	{"normal", 0, 13},
	{"no acute disease", 0, 13},
	{"other finding", 1, -1},
	{"cardiomegaly", 2, 1},
	{"enlarged cardiomediastinum", 2, 0},
	{"widened mediastinum", 2, 0},
	{"hilar enlargement", 2, 0},
	{"tortuous aorta", 2, 0},
	{"lung opacity", 3, 2},
	{"lung lesion", 3, 3},
	{"nodule", 3, 3},
	{"mass", 3, 3},
	{"edema", 3, 4},
	{"consolidation", 3, 5},
	{"pneumonia", 3, 6},
	{"atelectasis", 3, 7},
	{"emphysema", 3, -1},
	{"scarring", 3, 2},
	{"granuloma", 3, 3},
	{"pleural effusion", 4, 9},
	{"pneumothorax", 4, 8},
	{"pleural thickening", 4, 10},
	{"fracture", 5, 11},
	{"degenerative spine", 5, -1},
	{"scoliosis", 5, -1},
	{"support devices", 6, 12},
	{"pacemaker", 6, 12},
}

// NumConcepts is the number of knowledge-graph nodes.
var NumConcepts = len(Concepts)

// Adjacency returns the graph's boolean adjacency: self loops, the global
// node 0 linked to every node, and nodes of the same organ group linked.
func Adjacency() [][]bool {
	k := len(Concepts)
	a := make([][]bool, k)
	for i := range a {
		a[i] = make([]bool, k)
		for j := range a[i] {
			a[i][j] = i == j || i == 0 || j == 0 || Concepts[i].Group == Concepts[j].Group
		}
	}
	return a
}

// CooccurrenceWeights returns edge weights in (0, 1] from training labels:
// for an edge (i, j) between concepts mapped to observations oi and oj, the
// fraction of studies positive for oi that are also positive for oj,
// Laplace-smoothed ((both+1)/(n_i+2)), then rescaled so that the strongest
// such edge weighs 1. Self loops, the global node 0's edges (it links every
// concept; its observation, No Finding, never co-occurs with a finding, so
// weighting would cut it off) and edges of concepts without an observation
// weigh 1. positives[s][o] says whether study s is positive for observation o.
func CooccurrenceWeights(positives [][]bool) [][]float32 {
	k := len(Concepts)
	adj := Adjacency()
	raw := make([][]float64, k)
	strongest := 0.0
	for i := range raw {
		raw[i] = make([]float64, k)
		for j := range raw[i] {
			raw[i][j] = -1 // weight 1, not rescaled
			oi, oj := Concepts[i].Observation, Concepts[j].Observation
			if !adj[i][j] || i == j || i == 0 || j == 0 || oi < 0 || oj < 0 {
				continue
			}
			var both, ni float64
			for _, p := range positives {
				if oi < len(p) && p[oi] {
					ni++
					if oj < len(p) && p[oj] {
						both++
					}
				}
			}
			raw[i][j] = (both + 1) / (ni + 2) // smoothing keeps unseen edges open
			strongest = max(strongest, raw[i][j])
		}
	}
	w := make([][]float32, k)
	for i := range w {
		w[i] = make([]float32, k)
		for j := range w[i] {
			w[i][j] = 1
			if raw[i][j] >= 0 {
				w[i][j] = float32(raw[i][j] / strongest)
			}
		}
	}
	return w
}

// groupEncoding is a constant [K, d] sinusoidal encoding of each node's group.
func groupEncoding(g *Graph, d int) *Node {
	table := sinusoidalTable(len(Groups), d)
	rows := make([][]float32, len(Concepts))
	for i, c := range Concepts {
		rows[i] = table[c.Group]
	}
	return Const(g, rows)
}

// graphBias returns the [1, 1, K, K] additive attention bias of the graph:
// negInf off the adjacency; on edges log(weight) from the non-trainable
// variable "edge_weights" (ones unless co-occurrence weighting filled it).
func graphBias(scope *model.Scope, g *Graph, c Config) *Node {
	k := len(Concepts)
	adj := Adjacency()
	mask := make([][]bool, k)
	copy(mask, adj)
	bias := maskToBias(Const(g, mask))
	if c.GraphCooccur {
		wv := scope.WithInitializer(initializer.One).VariableWithShape(EdgeWeightsName, shapeFloat(k, k)).SetTrainable(false)
		bias = Add(bias, Log(wv.NodeValue(g)))
	}
	return Reshape(bias, 1, 1, k, k)
}

// EdgeWeightsPath is the store path of the co-occurrence edge weights.
const EdgeWeightsPath = KnowledgeScope + "/" + EdgeWeightsName

// NodeEmbeddingsName is the variable of the learned node embeddings [K, d].
const NodeEmbeddingsName = "node_embeddings"

// NodeEmbeddingsPath is the store path of the learned node embeddings.
const NodeEmbeddingsPath = KnowledgeScope + "/" + NodeEmbeddingsName

// KnowledgeGraph encodes the concept nodes with graph-masked self-attention
// (pre-LayerNorm transformer layers) and returns the node states T [K, d] and
// the last layer's attention weights [K, K].
func KnowledgeGraph(scope *model.Scope, g *Graph, c Config) (nodes, attn *Node) {
	k := len(Concepts)
	emb := scope.VariableWithShape(NodeEmbeddingsName, shapeFloat(k, c.D)).NodeValue(g)
	x := Add(emb, groupEncoding(g, c.D))
	x = Reshape(x, 1, k, c.D)
	bias := graphBias(scope, g, c)
	for l := 0; l < c.GraphLayers; l++ {
		s := scope.In("layer%d", l+1)
		h := layerNorm(s.In("ln1"), x)
		var a *Node
		h, a = attention(s.In("attn"), h, h, bias, c.GraphHeads, c.D, c.Dropout)
		attn = a
		x = Add(x, h)
		x = Add(x, ffn(s.In("ffn"), layerNorm(s.In("ln2"), x), c.FFN, c.Dropout))
	}
	x = layerNorm(scope.In("final_ln"), x)
	return Reshape(x, k, c.D), Reshape(attn, k, k)
}
