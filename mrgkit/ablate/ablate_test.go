package ablate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
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
