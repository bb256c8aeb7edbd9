package ablate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPaperTable(t *testing.T) {
	cells := []Cell{
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
	if lines[len(lines)-1] != "| PromptMRG (published) | MIMIC-CXR | – | .398 | .112 | .157 | .268 | – | – | .501 / .509 / .476 |" {
		t.Errorf("last published row: %s", lines[len(lines)-1])
	}
	if md2, _ := PaperTable(cells, "toycxr", false); strings.Contains(md2, "published") {
		t.Error("withPublished=false still lists published rows")
	}
	if _, err := PaperTable(nil, "x", true); err == nil {
		t.Error("no cells: no error")
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

// writeEval writes RUN/eval_test/metrics.json.
func writeEval(t *testing.T, rdir, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(rdir, "eval_test"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rdir, "eval_test", "metrics.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEvalCell(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, body string // body "": no file
		want       string // the error names this; "": a cell
	}{
		{"finished", `{"split":"test","beam":3,"metrics":{"BLEU_4":0.25,"ce_micro_f1":0.5},"studies":16}`, ""},
		{"missing", "", "metrics.json: no such file"},
		{"malformed", `{"metrics":`, filepath.Join("malformed", "eval_test", "metrics.json")},
		{"empty", `{"metrics":{}}`, filepath.Join("empty", "eval_test", "metrics.json") + " has no metrics"},
	} {
		rdir := filepath.Join(dir, c.name)
		if c.body != "" {
			writeEval(t, rdir, c.body)
		}
		cell, err := EvalCell(rdir, "test", "teacher")
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want one with %q", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cell.Config != "teacher" || cell.Seed != 1 || len(cell.Metrics) != 2 || cell.Metrics["BLEU_4"] != 0.25 || cell.Metrics["ce_micro_f1"] != 0.5 {
			t.Errorf("%s: cell %+v", c.name, cell)
		}
	}
}

func TestCollectResults(t *testing.T) {
	dir := t.TempDir()
	teacher := filepath.Join(dir, "teacher")
	writeEval(t, teacher, `{"split":"test","beam":3,"metrics":{"BLEU_4":0.25,"ce_micro_f1":0.5},"studies":16}`)
	broken := filepath.Join(dir, "broken")
	writeEval(t, broken, `{"metrics":{}}`)
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
	if want := results + " " + filepath.Join(teacher, "eval_test", "metrics.json"); strings.Join(sources, " ") != want {
		t.Errorf("sources = %v, want %s", sources, want)
	}
	if _, _, err := CollectResults(nil, []NamedRun{{"broken", broken}}, "test"); err == nil || !strings.Contains(err.Error(), "no metrics") {
		t.Errorf("empty metrics: err = %v", err)
	}
	os.WriteFile(results, []byte(`{"cells":[]}`), 0o644)
	if _, _, err := CollectResults([]string{results}, nil, "test"); err == nil || !strings.Contains(err.Error(), "results.json: no cells") {
		t.Errorf("empty results.json: err = %v", err)
	}
}
