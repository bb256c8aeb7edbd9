package ablate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

func TestAblationGridTinyAndResume(t *testing.T) {
	dir := t.TempDir()
	fixture.Write(t, dir, 16, 4, 4, 40)
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ablate")
	opts := Options{DataDir: dir, Dataset: "toycxr", Out: out, Preset: "tiny", Set: "vocab_threshold=1;epochs=1", Seeds: 1,
		Decode: mrgmodel.DecodeOptions{Beam: 1, RepetitionPenalty: 1}, Backend: be}
	res, err := Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != len(Grid) {
		t.Fatalf("%d cells, want %d", len(res.Cells), len(Grid))
	}
	md, err := os.ReadFile(filepath.Join(out, "table.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range Grid {
		if !strings.Contains(string(md), "| "+g.Name+" | 1 |") {
			t.Errorf("table.md lacks row %q:\n%s", g.Name, md)
		}
	}
	// Students have their own seed; the teacher keeps its own.
	for dir, want := range map[string]int{"plus_prompts": TeacherSeedBase + 1, "plus_global_KD": StudentSeedBase + 1, "full_plus_adaptive_KD": StudentSeedBase + 1} {
		got, err := runSeed(filepath.Join(out, dir, "seed1"))
		if err != nil || got != want {
			t.Errorf("%s: seed %d (%v), want %d", dir, got, err, want)
		}
	}
	// One seed: every test is n/a.
	if len(res.Tests) != len(Grid)-1 {
		t.Errorf("%d row tests, want %d", len(res.Tests), len(Grid)-1)
	}
	for _, rt := range res.Tests {
		if rt.NA == "" || len(rt.Metrics) != 0 {
			t.Errorf("row %q with one seed: %+v, want n/a", rt.Config, rt)
		}
	}
	if !strings.Contains(string(md), "| +graph | baseline | 0 | n/a |") {
		t.Errorf("table.md lacks the n/a test row:\n%s", md)
	}
	// Re-running reuses every finished cell and gives the same numbers.
	var log bytes.Buffer
	opts.Progress = &log
	again, err := Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "already done"); n != len(Grid) {
		t.Errorf("re-run reused %d cells, want %d:\n%s", n, len(Grid), log.String())
	}
	for i := range res.Cells {
		if res.Cells[i].Metrics["BLEU_4"] != again.Cells[i].Metrics["BLEU_4"] {
			t.Errorf("cell %s changed on re-run", res.Cells[i].Config)
		}
	}
}

func TestMarkdownMeanStd(t *testing.T) {
	r := &Results{Cells: []Cell{
		{Config: "+graph", Seed: 1, Metrics: map[string]float64{"BLEU_4": 0.1}},
		{Config: "baseline", Seed: 1, Metrics: map[string]float64{"BLEU_4": 0.2}},
		{Config: "baseline", Seed: 2, Metrics: map[string]float64{"BLEU_4": 0.4}},
	}}
	md := r.Markdown()
	// mean 0.3, sample std sqrt(0.02) = 0.141; baseline first (grid order).
	if !strings.Contains(md, "| baseline | 2 | – | 0.300 ± 0.141 |") {
		t.Errorf("baseline row wrong:\n%s", md)
	}
	if strings.Index(md, "baseline") > strings.Index(md, "+graph") {
		t.Errorf("rows not in grid order:\n%s", md)
	}
}

// fakeCell writes RUN/eval_test/reports.json for n studies: the reference
// "the heart is enlarged N ." labelled Cardiomegaly; good cells repeat it
// (and its label), others write "lungs are clear N ." with no label.
func fakeCell(t *testing.T, dir, config string, seed, n int, good bool) Cell {
	t.Helper()
	run := filepath.Join(dir, dirName(config), fmt.Sprintf("seed%d", seed))
	if err := os.MkdirAll(filepath.Join(run, "eval_test"), 0o755); err != nil {
		t.Fatal(err)
	}
	var studies []eval.Study
	var card chexpert.Labels
	card[chexpert.Cardiomegaly] = chexpert.Positive
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("the heart is enlarged %d .", i)
		s := eval.Study{ID: fmt.Sprintf("s%02d", i), Reference: ref, RefLabels: card, Generated: fmt.Sprintf("lungs are clear %d .", i)}
		if good {
			s.Generated, s.GenLabels = ref, card
		}
		studies = append(studies, s)
	}
	b, err := json.Marshal(studies)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "eval_test", "reports.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	v := 0.0
	if good {
		v = 1
	}
	return Cell{Config: config, Seed: seed, Run: run, Metrics: map[string]float64{"BLEU_4": v, "ce_micro_f1": v}}
}

func TestRowTestsPooledOverSeeds(t *testing.T) {
	dir := t.TempDir()
	r := &Results{}
	for seed := 1; seed <= 2; seed++ {
		// baseline and +graph write the same; +fusion is right on every study.
		r.Cells = append(r.Cells, fakeCell(t, dir, "baseline", seed, 10, false), fakeCell(t, dir, "+graph", seed, 10, false),
			fakeCell(t, dir, "+fusion", seed, 10, true))
	}
	r.Cells = append(r.Cells, fakeCell(t, dir, "+prompts", 1, 10, true)) // one seed only
	if err := r.RunTests(2000, 1); err != nil {
		t.Fatal(err)
	}
	graph, fusion, prompts := r.Test("+graph"), r.Test("+fusion"), r.Test("+prompts")
	if graph == nil || fusion == nil || prompts == nil || len(r.Tests) != 3 {
		t.Fatalf("tests %+v", r.Tests)
	}
	if graph.Studies != 20 || fusion.Studies != 20 || len(fusion.Seeds) != 2 {
		t.Errorf("pooled studies %d, %d (seeds %v), want 20", graph.Studies, fusion.Studies, fusion.Seeds)
	}
	for _, col := range Columns {
		if c := graph.Metrics[col]; c.P != 1 || c.Diff != 0 {
			t.Errorf("+graph vs baseline %s: %+v, want p 1", col, c)
		}
		// 20 studies all better: p = 1/2001 (randomization) for every column.
		if c := fusion.Metrics[col]; c.P >= 0.001 || c.Diff <= 0 {
			t.Errorf("+fusion vs +graph %s: %+v, want p < 0.001", col, c)
		}
	}
	if prompts.NA == "" || prompts.Metrics != nil {
		t.Errorf("+prompts has one seed: %+v, want n/a", prompts)
	}
	md := r.Markdown()
	if !strings.Contains(md, "| +fusion | 2 | – | 1.000 ± 0.000 * |") {
		t.Errorf("table.md: +fusion's B4 not marked significant:\n%s", md)
	}
	if !strings.Contains(md, "| +graph | 2 | – | 0.000 ± 0.000 | ") {
		t.Errorf("table.md: +graph marked or missing:\n%s", md)
	}
	if !strings.Contains(md, "| +prompts | +fusion | 0 | n/a |") {
		t.Errorf("table.md: +prompts test not n/a:\n%s", md)
	}
	csv := r.CSV()
	if !strings.Contains(csv, `"+fusion","p_vs_+graph",0.000500,`) || !strings.Contains(csv, `"+graph","p_vs_baseline",1.000000,`) ||
		!strings.Contains(csv, `"+prompts","p_vs_+fusion",n/a,`) {
		t.Errorf("table.csv p-value lines:\n%s", csv)
	}
	// results.json carries the p-values.
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if !strings.Contains(string(b), `"p": 1`) || !strings.Contains(string(b), `"na": "fewer than 2 seeds (1)"`) {
		t.Errorf("results.json lacks p-values:\n%s", b)
	}
}

// Two seeds of a teacher row and a student row through the real pipeline:
// the student is tested against its teacher row, the seeds pooled.
func TestAblationTwoSeedsTestedTiny(t *testing.T) {
	dir := t.TempDir()
	fixture.Write(t, dir, 16, 4, 4, 40)
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ablate")
	res, err := Run(Options{DataDir: dir, Dataset: "toycxr", Out: out, Preset: "tiny", Set: "vocab_threshold=1;epochs=1", Seeds: 2,
		Only: []string{"+prompts", "+global KD"}, Resamples: 500, Decode: mrgmodel.DecodeOptions{Beam: 1, RepetitionPenalty: 1}, Backend: be})
	if err != nil {
		t.Fatal(err)
	}
	rt := res.Test("+global KD")
	if rt == nil || rt.NA != "" || len(rt.Seeds) != 2 || rt.Base != "+prompts" {
		t.Fatalf("test of +global KD: %+v", rt)
	}
	reports, err := readReports(filepath.Join(out, "plus_global_KD", "seed1"))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Studies != 2*len(reports) || len(reports) == 0 {
		t.Errorf("%d pooled studies, want 2 x %d", rt.Studies, len(reports))
	}
	for _, col := range Columns {
		c, ok := rt.Metrics[col]
		if !ok || c.P <= 0 || c.P > 1 || c.CI[0] > c.CI[1] {
			t.Errorf("%s: %+v", col, c)
		}
	}
	if got, _ := runSeed(filepath.Join(out, "plus_global_KD", "seed2")); got != StudentSeedBase+2 {
		t.Errorf("student seed 2 trained with seed=%d, want %d", got, StudentSeedBase+2)
	}
	if res.Test("+prompts") != nil {
		t.Error("+prompts tested although +fusion did not run")
	}
}
