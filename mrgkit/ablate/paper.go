package ablate

import (
	"fmt"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/internal/markdown"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// The paper's table of saved results (notebook 05): ablation cells and
// evaluated runs in the paper's layout, beside the published numbers.

// PublishedRow is a published result quoted in METHOD.md, on real data, for
// orientation beside the kit's own rows. Empty strings are "not reported".
type PublishedRow struct {
	Model, Data        string
	B1, B4, MTR, RL    string
	CEMicro, CEExample string // "P / R / F1"
}

// Published are METHOD.md's reference numbers.
var Published = []PublishedRow{
	{Model: "R2Gen", Data: "IU X-Ray", B1: ".470", B4: ".165", MTR: ".187", RL: ".371"},
	{Model: "R2Gen", Data: "MIMIC-CXR", B1: ".353", B4: ".103", MTR: ".142", RL: ".277", CEMicro: ".333 / .273 / .276"},
	{Model: "R2GenCMN", Data: "MIMIC-CXR", B1: ".353", B4: ".106", MTR: ".142", RL: ".278", CEMicro: ".334 / .275 / .278"},
	{Model: "PromptMRG", Data: "MIMIC-CXR", B1: ".398", B4: ".112", MTR: ".157", RL: ".268", CEExample: ".501 / .509 / .476"},
}

// dash shows a value not reported as "–".
func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// PaperTable formats result cells in the paper's layout: one row per
// configuration (in the cells' order) with mean ± std over seeds
// (plots.MeanStd) of BLEU-1, BLEU-4, METEOR, ROUGE-L, CIDEr and CE
// precision / recall / F1 (micro and example-based), followed, when
// withPublished, by the Published rows. data names the dataset of our rows.
// Missing metrics show "–".
func PaperTable(cells []Cell, data string, withPublished bool) (string, error) {
	if len(cells) == 0 {
		return "", errors.New("no result cells")
	}
	stats := map[[2]string]plots.Bar{}
	seeds := map[string]int{}
	var configs []string
	for _, c := range cells {
		if seeds[c.Config] == 0 {
			configs = append(configs, c.Config)
		}
		seeds[c.Config]++
	}
	for _, b := range plots.MeanStd(cells) {
		stats[[2]string{b.Group, b.Name}] = b
	}
	cell := func(cfg, metric string) string {
		b, ok := stats[[2]string{metric, cfg}]
		if !ok {
			return "–"
		}
		if seeds[cfg] > 1 {
			return fmt.Sprintf("%.3f ± %.3f", b.Mean, b.Std)
		}
		return fmt.Sprintf("%.3f", b.Mean)
	}
	prf := func(cfg, avg string) string {
		parts := []string{cell(cfg, "ce_"+avg+"_precision"), cell(cfg, "ce_"+avg+"_recall"), cell(cfg, "ce_"+avg+"_f1")}
		if parts[0] == "–" && parts[1] == "–" && parts[2] == "–" {
			return "–"
		}
		return strings.Join(parts, " / ")
	}
	header := []string{"model", "data", "seeds", "B1", "B4", "MTR", "RL", "CIDEr", "CE P / R / F1 (micro)", "CE P / R / F1 (example)"}
	var rows [][]string
	for _, cfg := range configs {
		rows = append(rows, []string{cfg, data, fmt.Sprint(seeds[cfg]),
			cell(cfg, "BLEU_1"), cell(cfg, "BLEU_4"), cell(cfg, "METEOR"), cell(cfg, "ROUGE_L"), cell(cfg, "CIDEr"),
			prf(cfg, "micro"), prf(cfg, "example")})
	}
	if withPublished {
		for _, p := range Published {
			rows = append(rows, []string{p.Model + " (published)", p.Data, "–", dash(p.B1), dash(p.B4), dash(p.MTR), dash(p.RL), "–",
				dash(p.CEMicro), dash(p.CEExample)})
		}
	}
	return markdown.Table(header, rows), nil
}

// PublishedTable formats only the Published rows, in PaperTable's layout.
func PublishedTable() string {
	header := []string{"model", "data", "B1", "B4", "MTR", "RL", "CE P / R / F1 (micro)", "CE P / R / F1 (example)"}
	var rows [][]string
	for _, p := range Published {
		rows = append(rows, []string{p.Model, p.Data, dash(p.B1), dash(p.B4), dash(p.MTR), dash(p.RL), dash(p.CEMicro), dash(p.CEExample)})
	}
	return markdown.Table(header, rows)
}

// EvalCell reads a run's RUN/eval_<split>/metrics.json (written by
// run.Evaluate and `mrg eval`) as one result cell named config.
func EvalCell(rdir, split, config string) (Cell, error) {
	m, err := readMetrics(run.Dir(rdir).Metrics(split))
	if err != nil {
		return Cell{}, err
	}
	return Cell{Config: config, Seed: 1, Metrics: m}, nil
}

// NamedRun is a run directory shown under a configuration name.
type NamedRun struct{ Name, Dir string }

// CollectResults gathers saved results: the cells of each existing
// results.json (an ablation), then one cell per run whose
// eval_<split>/metrics.json exists. Missing files are skipped; sources
// lists what was read. Unreadable files are errors.
func CollectResults(resultsFiles []string, runs []NamedRun, split string) (cells []Cell, sources []string, err error) {
	for _, f := range resultsFiles {
		if !fileExists(f) {
			continue
		}
		c, err := run.ReadResults(f)
		if err != nil {
			return nil, nil, err
		}
		cells = append(cells, c...)
		sources = append(sources, f)
	}
	for _, r := range runs {
		p := run.Dir(r.Dir).Metrics(split)
		if !fileExists(p) {
			continue
		}
		c, err := EvalCell(r.Dir, split, r.Name)
		if err != nil {
			return nil, nil, err
		}
		cells = append(cells, c)
		sources = append(sources, p)
	}
	return cells, sources, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
