package notebook

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/plots"
)

func TestPaperTable(t *testing.T) {
	cells := []plots.ResultCell{
		{Config: "baseline", Seed: 1, Metrics: map[string]float64{"BLEU_1": 0.30, "BLEU_4": 0.10, "ce_micro_precision": 0.5, "ce_micro_recall": 0.25, "ce_micro_f1": 1.0 / 3}},
		{Config: "baseline", Seed: 2, Metrics: map[string]float64{"BLEU_1": 0.40, "BLEU_4": 0.12, "ce_micro_precision": 0.5, "ce_micro_recall": 0.25, "ce_micro_f1": 1.0 / 3}},
		{Config: "full", Seed: 1, Metrics: map[string]float64{"BLEU_1": 0.5, "BLEU_4": 0.2}},
	}
	md, err := PaperTable(cells, "toycxr", true)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != 2+2+len(Published) {
		t.Fatalf("%d lines, want header, rule, 2 configs, %d published:\n%s", len(lines), len(Published), md)
	}
	// BLEU_1 over {0.30, 0.40}: mean 0.35, sample std 0.0707.
	wantBaseline := "| baseline | toycxr | 2 | 0.350 ± 0.071 | 0.110 ± 0.014 | – | – | – | 0.500 ± 0.000 / 0.250 ± 0.000 / 0.333 ± 0.000 | – |"
	if lines[2] != wantBaseline {
		t.Errorf("baseline row\n%s\nwant\n%s", lines[2], wantBaseline)
	}
	if lines[3] != "| full | toycxr | 1 | 0.500 | 0.200 | – | – | – | – | – |" {
		t.Errorf("full row: %s", lines[3])
	}
	if !strings.Contains(lines[len(lines)-1], "PromptMRG (published) | MIMIC-CXR") || !strings.Contains(lines[len(lines)-1], ".501 / .509 / .476") {
		t.Errorf("last published row: %s", lines[len(lines)-1])
	}
	if md2, _ := PaperTable(cells, "toycxr", false); strings.Contains(md2, "published") {
		t.Error("withPublished=false still lists published rows")
	}
	if _, err := PaperTable(nil, "x", true); err == nil {
		t.Error("no cells: no error")
	}
}

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
	if b[0][0] != 1 || b[0][1] != 0 || b[1][1] != 1 {
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

func TestCollectResults(t *testing.T) {
	dir := t.TempDir()
	teacher := filepath.Join(dir, "teacher")
	os.MkdirAll(filepath.Join(teacher, "eval_test"), 0o755)
	os.WriteFile(filepath.Join(teacher, "eval_test", "metrics.json"),
		[]byte(`{"split":"test","beam":3,"metrics":{"BLEU_4":0.25,"ce_micro_f1":0.5},"studies":16}`), 0o644)
	broken := filepath.Join(dir, "broken")
	os.MkdirAll(filepath.Join(broken, "eval_test"), 0o755)
	os.WriteFile(filepath.Join(broken, "eval_test", "metrics.json"), []byte(`{"metrics":{}}`), 0o644)
	results := filepath.Join(dir, "results.json")
	os.WriteFile(results, []byte(`{"cells":[{"config":"baseline","seed":1,"metrics":{"BLEU_4":0.1}}]}`), 0o644)

	cells, sources, err := CollectResults([]string{filepath.Join(dir, "missing.json"), results},
		[]NamedRun{{"teacher", teacher}, {"student", filepath.Join(dir, "student")}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 || cells[0].Config != "baseline" || cells[1].Config != "teacher" || cells[1].Metrics["BLEU_4"] != 0.25 {
		t.Errorf("cells = %+v", cells)
	}
	if len(sources) != 2 {
		t.Errorf("sources = %v", sources)
	}
	if _, _, err := CollectResults(nil, []NamedRun{{"broken", broken}}, "test"); err == nil || !strings.Contains(err.Error(), "no metrics") {
		t.Errorf("empty metrics: err = %v", err)
	}
}

func TestPublishedTable(t *testing.T) {
	md := PublishedTable()
	if !strings.Contains(md, "| R2Gen | IU X-Ray | .470 | .165 | .187 | .371 | – | – |") {
		t.Errorf("R2Gen IU row missing:\n%s", md)
	}
	if n := strings.Count(md, "\n"); n != 2+len(Published) {
		t.Errorf("%d lines, want %d", n, 2+len(Published))
	}
}
