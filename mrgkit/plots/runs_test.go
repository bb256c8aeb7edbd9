package plots

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

func TestConceptAttention(t *testing.T) {
	// 2 views of a 2x2 grid = 8 patches, 3 concepts; value = 10*patch + concept.
	attn := make([]float32, 8*3)
	for p := 0; p < 8; p++ {
		for k := 0; k < 3; k++ {
			attn[p*3+k] = float32(10*p + k)
		}
	}
	got, err := ConceptAttention(attn, 3, 2, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{42, 52, 62, 72}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("view 1, concept 2: %v, want %v", got, want)
		}
	}
	for _, bad := range []struct{ k, concept, view, h, w int }{
		{3, 3, 0, 2, 2}, {3, -1, 0, 2, 2}, {3, 0, 2, 2, 2}, {3, 0, 0, 3, 3}, {5, 0, 0, 2, 2}, {0, 0, 0, 2, 2},
	} {
		if _, err := ConceptAttention(attn, bad.k, bad.concept, bad.view, bad.h, bad.w); err == nil {
			t.Errorf("ConceptAttention(k=%d concept=%d view=%d grid %dx%d): no error", bad.k, bad.concept, bad.view, bad.h, bad.w)
		}
	}
}

func TestMatrices(t *testing.T) {
	b := BoolMatrix([][]bool{{true, false}, {false, true}})
	if b[0][0] != 1 || b[0][1] != 0 || b[1][1] != 1 || b[1][0] != 0 {
		t.Errorf("BoolMatrix = %v", b)
	}
	s := CosineSimilarity([][]float32{{1, 0}, {1, 1}, {0, 0}, {-2, 0}})
	want := [][]float64{
		{1, 1 / math.Sqrt2, 0, -1},
		{1 / math.Sqrt2, 1, 0, -1 / math.Sqrt2},
		{0, 0, 0, 0},
		{-1, -1 / math.Sqrt2, 0, 1},
	}
	for i := range want {
		for j := range want[i] {
			if math.Abs(s[i][j]-want[i][j]) > 1e-9 {
				t.Errorf("sim[%d][%d] = %v, want %v", i, j, s[i][j], want[i][j])
			}
		}
	}
}

func TestConceptsFor(t *testing.T) {
	var l chexpert.Labels
	l[chexpert.Index("Cardiomegaly")] = chexpert.Positive
	l[chexpert.Index("Pleural Effusion")] = chexpert.Positive
	l[chexpert.Index("Edema")] = chexpert.Negative
	l[chexpert.NoFinding] = chexpert.Positive // ignored: No Finding is not a finding
	names := func(ks []int) string {
		var n []string
		for _, k := range ks {
			n = append(n, model.Concepts[k].Name)
		}
		return strings.Join(n, ",")
	}
	for _, c := range []struct {
		name   string
		labels *chexpert.Labels
		max    int
		want   string
	}{
		{"two findings", &l, 5, "cardiomegaly,pleural effusion"},
		{"at most one", &l, 1, "cardiomegaly"},
		{"no labels: the normal node", nil, 3, "normal"},
		{"no positive: the normal node", &chexpert.Labels{}, 3, "normal"},
	} {
		if got := names(ConceptsFor(c.labels, c.max)); got != c.want {
			t.Errorf("%s: ConceptsFor = %s, want %s", c.name, got, c.want)
		}
	}
	if n := ConceptNames(); len(n) != len(model.Concepts) || n[0] != "normal" || n[3] != "cardiomegaly" {
		t.Errorf("ConceptNames = %v", n)
	}
}

func TestConceptIndices(t *testing.T) {
	got, err := ConceptIndices("Cardiomegaly", " pleural effusion ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || model.Concepts[got[0]].Name != "cardiomegaly" || model.Concepts[got[1]].Name != "pleural effusion" {
		t.Errorf("ConceptIndices = %v", got)
	}
	if _, err := ConceptIndices("heart attack"); err == nil || !strings.Contains(err.Error(), `unknown concept "heart attack"`) {
		t.Errorf("unknown concept: err = %v", err)
	}
}

func TestVariableRows(t *testing.T) {
	store := gmodel.NewStore()
	if _, err := store.Scope(model.KnowledgeScope).CreateVariable(model.NodeEmbeddingsName,
		tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6}, 3, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RootScope().CreateVariable("vec", tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2)); err != nil {
		t.Fatal(err)
	}
	rows, err := VariableRows(store, "/model/knowledge/node_embeddings")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][1] != 2 || rows[1][0] != 3 || rows[2][1] != 6 {
		t.Errorf("rows = %v, want [[1 2] [3 4] [5 6]]", rows)
	}
	for _, c := range []struct{ path, want string }{{"/vec", "want a matrix"}, {"/missing", "no variable /missing"}} {
		if _, err := VariableRows(store, c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.path, err, c.want)
		}
	}
}

func TestAttentionFigure(t *testing.T) {
	c := model.Config{ImageSize: 64} // the kit's encoder: a 4x4 patch grid
	const grid = 4
	k := len(model.Concepts)
	attn := make([]float32, 2*grid*grid*k) // two views
	for p := 0; p < grid*grid; p++ {
		attn[p*k+3] = float32(p) // concept 3 rises over the frontal view
	}
	frontal := &data.Plane{W: 32, H: 32, Pix: make([]float32, 32*32)}
	for i := range frontal.Pix {
		frontal.Pix[i] = float32(i%32) / 31
	}
	res := &run.GenerateResult{Attention: attn, Images: []*data.Plane{frontal, frontal}}
	base := filepath.Join(t.TempDir(), "attention")
	paths, err := AttentionFigure(base, res, c, 3, "cardiomegaly")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || paths[0] != base+".png" || paths[1] != base+".svg" {
		t.Fatalf("paths %v", paths)
	}
	checkPNG(t, paths[0], 0, 0)
	checkSVG(t, paths[1])
	for _, bad := range []struct {
		name    string
		res     *run.GenerateResult
		concept int
	}{
		{"no attention", &run.GenerateResult{Images: res.Images}, 3},
		{"concept out of range", res, k},
		{"grid larger than the attention", &run.GenerateResult{Attention: attn[:grid*k], Images: res.Images}, 3},
	} {
		if _, err := AttentionFigure(filepath.Join(t.TempDir(), "x"), bad.res, c, bad.concept, "x"); err == nil {
			t.Errorf("%s: no error", bad.name)
		}
	}
}

func TestMetricsTable(t *testing.T) {
	got := MetricsTable([]string{"teacher", "student"}, map[string]map[string]float64{
		"teacher": {"ce_micro_f1": 0.5, "BLEU_4": 0.1234567, "zeta": 1, "alpha": 2},
		"student": {"BLEU_4": 0.2, "BLEU_1": 0.3, "ce_micro_precision": 0.25},
		"unshown": {"CIDEr": 1},
	})
	want := "| metric | teacher | student |\n|---|---|---|\n" +
		"| BLEU_1 | – | 0.3000 |\n| BLEU_4 | 0.1235 | 0.2000 |\n| ce_micro_precision | – | 0.2500 |\n| ce_micro_f1 | 0.5000 | – |\n" +
		"| alpha | 2.0000 | – |\n| zeta | 1.0000 | – |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
