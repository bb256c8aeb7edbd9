package model

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

func tinyStore(t *testing.T, set string) (*model.Store, Config) {
	t.Helper()
	store := model.NewStore()
	if err := Configure(store, "tiny", set); err != nil {
		t.Fatal(err)
	}
	_ = store.SetRNGStateFromSeed(3)
	return store, ReadConfig(store)
}

// exec runs fn on a fresh backend and returns its outputs as float32 slices with their dims.
func exec(t *testing.T, store *model.Store, fn func(scope *model.Scope, g *Graph) []*Node) ([][]float32, [][]int) {
	t.Helper()
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	e, err := model.NewExec(be, store, func(scope *model.Scope, g *Graph) []*Node { return fn(scope, g) })
	if err != nil {
		t.Fatal(err)
	}
	outs, err := e.Exec()
	if err != nil {
		t.Fatal(err)
	}
	var vals [][]float32
	var dims [][]int
	for _, o := range outs {
		vals = append(vals, tensors.MustCopyFlatData[float32](o))
		dims = append(dims, o.Shape().Dimensions)
	}
	return vals, dims
}

func images(g *Graph, c Config, b int) *Node {
	return IotaFull(g, shapeFloat(b, 2, c.ImageSize, c.ImageSize, c.Channels))
}

func TestComponentShapes(t *testing.T) {
	tests := []struct {
		name, set string
		memory    func(c Config) int // memory length
	}{
		{"full", "", func(c Config) int { return 2 * GridSize(c) * GridSize(c) }},
		{"graph without fusion", "use_fusion=false", func(c Config) int { return 2*GridSize(c)*GridSize(c) + NumConcepts }},
		{"baseline", "use_graph=false;use_fusion=false;use_prompts=false", func(c Config) int { return 2 * GridSize(c) * GridSize(c) }},
		{"one view", "views=1", func(c Config) int { return GridSize(c) * GridSize(c) }},
		{"bottleneck ResNet-50", "enc_depth=50;enc_width=4", func(c Config) int { return 2 * GridSize(c) * GridSize(c) }},
		{"max-pool stem, layer norm", "enc_stem_pool=max;enc_norm=layer", func(c Config) int { return 2 * GridSize(c) * GridSize(c) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store, c := tinyStore(t, tc.set+";vocab_size=30")
			const b = 3
			_, dims := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
				tokens := Zeros(g, shapeInt32(b, c.MaxLen))
				labels := Zeros(g, shapeInt32(b, c.NumLabels))
				out := Forward(store.RootScope().In(ScopeName), c, images(g, c, b), tokens, labels)
				res := []*Node{out.LMLogits, out.Patches, out.Global, out.Memory}
				if out.ClsLogits != nil {
					res = append(res, out.ClsLogits)
				}
				return res
			})
			n := tc.memory(c)
			patches := n
			if tc.name == "graph without fusion" {
				patches = n - NumConcepts
			}
			want := [][]int{{b, c.MaxLen, NumTokens(30)}, {b, patches, VisualDim(c)}, {b, VisualDim(c)}, {b, n, c.D}}
			if c.UsePrompts {
				want = append(want, []int{b, c.NumLabels, 4})
			}
			if len(dims) != len(want) {
				t.Fatalf("%d outputs, want %d", len(dims), len(want))
			}
			for i := range want {
				if !equal(dims[i], want[i]) {
					t.Errorf("output %d: dims %v, want %v", i, dims[i], want[i])
				}
			}
		})
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGraphAttentionFollowsAdjacency: attention weights are rows of a
// distribution and vanish off the adjacency.
func TestGraphAttentionFollowsAdjacency(t *testing.T) {
	store, c := tinyStore(t, "")
	vals, dims := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
		nodes, attn := KnowledgeGraph(store.RootScope().In("kg"), g, c)
		return []*Node{nodes, attn}
	})
	k := NumConcepts
	if !equal(dims[0], []int{k, c.D}) || !equal(dims[1], []int{k, k}) {
		t.Fatalf("dims %v", dims)
	}
	adj := Adjacency()
	for i := 0; i < k; i++ {
		var sum float64
		for j := 0; j < k; j++ {
			w := float64(vals[1][i*k+j])
			sum += w
			if !adj[i][j] && w > 1e-6 {
				t.Errorf("attention %s→%s = %g off the graph", Concepts[i].Name, Concepts[j].Name, w)
			}
		}
		if math.Abs(sum-1) > 1e-4 {
			t.Errorf("row %d sums to %g", i, sum)
		}
	}
	// Spot-check the adjacency itself against the spec: global node links
	// everything, same organ group links, different groups do not.
	if !adj[0][20] || !adj[3][4] || adj[3][8] || adj[8][19] {
		t.Errorf("adjacency does not follow the spec")
	}
}

// TestDecoderIsCausal: changing a later word does not change earlier logits.
func TestDecoderIsCausal(t *testing.T) {
	store, c := tinyStore(t, "vocab_size=20")
	vals, _ := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
		ms := store.RootScope().In(ScopeName)
		mem := IotaFull(g, shapeFloat(2, 5, c.D))
		mem = DivScalar(mem, 100)
		w1 := Const(g, [][]int32{{3, 4, 5, 6, 0}, {3, 4, 5, 6, 0}})
		prompts := Zeros(g, shapeInt32(2, c.NumLabels))
		words := Concatenate([]*Node{w1, Zeros(g, shapeInt32(2, c.MaxLen-1-5))}, 1)
		l1 := Decode(ms.In("decoder"), c, words, prompts, mem)
		w2 := Const(g, [][]int32{{3, 4, 9, 9, 9}, {3, 4, 5, 6, 0}})
		words2 := Concatenate([]*Node{w2, Zeros(g, shapeInt32(2, c.MaxLen-1-5))}, 1)
		l2 := Decode(ms.Shared("decoder"), c, words2, prompts, mem)
		return []*Node{l1, l2}
	})
	v := NumTokens(20)
	for pos := 0; pos < c.MaxLen; pos++ {
		var diff float64
		for j := 0; j < v; j++ {
			diff = math.Max(diff, math.Abs(float64(vals[0][pos*v+j]-vals[1][pos*v+j])))
		}
		// Position j predicts word j from words < j: positions 0..2 see only words 0..1.
		if pos <= 2 && diff > 1e-5 {
			t.Errorf("position %d changed by %g after changing word 2", pos, diff)
		}
		if pos == 3 && diff < 1e-6 {
			t.Errorf("position 3 did not change after changing word 2")
		}
	}
}

// TestLogitAdjustment: only the positive column moves, by -log(base_prob).
func TestLogitAdjustment(t *testing.T) {
	store, c := tinyStore(t, "")
	ds := store.Scope("/diag")
	prior := make([]float32, c.NumLabels)
	for i := range prior {
		prior[i] = 1
	}
	prior[2] = 0.25
	if _, err := ds.CreateVariable(basePriorName, tensors.FromFlatDataAndDimensions(prior, c.NumLabels)); err != nil {
		t.Fatal(err)
	}
	vals, _ := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
		gl := OnesLike(IotaFull(g, shapeFloat(1, c.D)))
		mem := OnesLike(IotaFull(g, shapeFloat(1, 3, c.D)))
		l, a := Diagnose(store.Scope("/diag"), c, gl, mem)
		return []*Node{l, a}
	})
	for o := 0; o < c.NumLabels; o++ {
		for s := 0; s < 4; s++ {
			d := float64(vals[1][o*4+s] - vals[0][o*4+s])
			want := 0.0
			if s == 1 {
				want = -math.Log(float64(prior[o]))
			}
			if math.Abs(d-want) > 1e-5 {
				t.Errorf("obs %d state %d shifted by %g, want %g", o, s, d, want)
			}
		}
	}
}

func TestLMLossMasksPadding(t *testing.T) {
	store, _ := tinyStore(t, "")
	// Uniform logits over V tokens: per-token loss log(V) whatever the
	// smoothing, so the mean over counted positions is log(V) — unless
	// padding positions leak in with other values. Position 1 gets
	// confident logits for the right token; it must count (word + EOS).
	vals, _ := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
		logits := Zeros(g, shapeFloat(1, 4, 5))
		tokens := Const(g, [][]int32{{2, 0, 0, 0}})
		return []*Node{LMLoss(logits, tokens, 0.1), TokenMask(tokens)}
	})
	if math.Abs(float64(vals[0][0])-math.Log(5)) > 1e-5 {
		t.Errorf("uniform loss %g, want log 5", vals[0][0])
	}
	if want := []float32{1, 1, 0, 0}; !equal(vals[1], want) {
		t.Errorf("mask %v, want %v (the word and its EOS)", vals[1], want)
	}
}

func TestConfigureRejectsBadInput(t *testing.T) {
	for _, tc := range []struct{ preset, set string }{
		{"huge", ""}, {"cpu", "nope=1"}, {"cpu", "enc_depth=12"}, {"cpu", "num_heads=3"},
		{"cpu", "views=3"}, {"cpu", "use_graph=false"}, {"cpu", "image_size=50"}, {"cpu", "dropout=1.5"},
		{"cpu", "num_labels=3"}, {"cpu", "num_labels=18"}, {"tiny", "num_labels=13"},
	} {
		if err := Configure(model.NewStore(), tc.preset, tc.set); err == nil {
			t.Errorf("Configure(%q, %q) accepted", tc.preset, tc.set)
		}
	}
}

func TestSetValuesNameTheKey(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"dropout=NaN", "-set dropout=NaN: dropout must be a finite number"},
		{"dropout=nan", "-set dropout=nan: dropout must be a finite number"},
		{"dropout=Inf", "-set dropout=Inf: dropout must be a finite number"},
		{"d_model=64;dropout=-inf", "-set dropout=-inf: dropout must be a finite number"},
		{"dropout=1e400", "-set dropout=1e400: dropout must be a finite number"},
		{"dropout=abc", "-set dropout=abc: dropout must be a number"},
		{"d_model=64.5", "-set d_model=64.5: d_model must be a whole number"},
		{"d_model=NaN", "-set d_model=NaN: d_model must be a whole number"},
		{"use_graph=yes", "-set use_graph=yes: use_graph must be true or false"},
		{"dropout=2", "dropout=2: must be in [0, 1)"},
		{"nope=NaN", `base parameter "nope" is not known`},
	} {
		err := Configure(model.NewStore(), "cpu", tc.set)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-set %s: %v, want %q", tc.set, err, tc.want)
		}
	}
	for _, set := range []string{"dropout=0.25", "dropout=1e-3;d_model=64;num_heads=4", "d_model=1_024", "use_graph=true"} {
		if err := Configure(model.NewStore(), "cpu", set); err != nil {
			t.Errorf("-set %s refused: %v", set, err)
		}
	}
}

func TestCooccurrenceWeights(t *testing.T) {
	idx := func(name string) int {
		for i, c := range Concepts {
			if c.Name == name {
				return i
			}
		}
		t.Fatalf("no concept %q", name)
		return -1
	}
	card, ecm, eff, ptx := idx("cardiomegaly"), idx("enlarged cardiomediastinum"), idx("pleural effusion"), idx("pneumothorax")
	// Observation indices: 0 ECM, 1 cardiomegaly, 8 pneumothorax, 9 effusion.
	pos := func(obs ...int) []bool {
		row := make([]bool, 14)
		for _, o := range obs {
			row[o] = true
		}
		return row
	}
	studies := [][]bool{pos(1, 0), pos(1), pos(1), pos(9), pos()}
	w := CooccurrenceWeights(studies)
	// Smoothed fractions (both+1)/(n+2), then divided by the strongest edge,
	// ECM → cardiomegaly (and ECM ↔ the other ECM concepts): 1 of 1 = 2/3.
	strongest := 2.0 / 3
	// cardiomegaly → ECM: 1 of 3 cardiomegaly studies has ECM: (1+1)/(3+2) = 0.4.
	if got := w[card][ecm]; math.Abs(float64(got)-0.4/strongest) > 1e-6 {
		t.Errorf("w[cardiomegaly][ECM] = %g, want 0.4/(2/3) = 0.6", got)
	}
	if got := w[ecm][card]; math.Abs(float64(got)-1) > 1e-6 {
		t.Errorf("w[ECM][cardiomegaly] = %g, want 1 (the strongest edge)", got)
	}
	// effusion → pneumothorax (same pleura group): never together: 1/3.
	if got := w[eff][ptx]; math.Abs(float64(got)-(1.0/3)/strongest) > 1e-6 {
		t.Errorf("w[effusion][pneumothorax] = %g, want (1/3)/(2/3) = 0.5", got)
	}
	// Off the graph (cardiomegaly–effusion) and self loops keep weight 1.
	if w[card][eff] != 1 || w[card][card] != 1 {
		t.Errorf("off-graph or self weights changed: %g %g", w[card][eff], w[card][card])
	}
	// The global node (No Finding, which no finding co-occurs with) keeps
	// weight 1 both ways, for every concept.
	for j := range Concepts {
		if w[0][j] != 1 || w[j][0] != 1 {
			t.Errorf("global node edge with %q weighs %g / %g, want 1", Concepts[j].Name, w[0][j], w[j][0])
		}
	}
}
