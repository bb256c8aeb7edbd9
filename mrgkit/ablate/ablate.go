// Package ablate runs the method's ablation grid — baseline, +graph,
// +fusion, +prompts, +global KD, +local KD, full (+adaptive KD) — over
// several seeds, evaluates every cell on the test split, tests every row
// against the row it adds to (paired approximate randomization and
// bootstrap, the seeds' studies pooled), and writes a paper-style table
// (mean ± std, * for p < 0.05), a CSV and results.json. Finished cells are
// reused when the grid is run again.
//
// Seeds: seed s (1..Seeds) trains the non-student rows with hyperparameter
// seed=41+s and the student rows with seed=1041+s, so a student starts
// from its own initialisation and sees its own batch order; its teacher is
// the "+prompts" run of seed s, unchanged.
package ablate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/distill"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// Config is one row of the ablation table.
type Config struct {
	Name string
	// Set are the hyperparameters of the cell (added to the user's).
	Set string
	// Student cells are distilled from the same seed's "+prompts" teacher.
	Student bool
	// Base is the row this one adds to, the one it is tested against ("": none).
	Base string
}

// Grid is the ablation table's rows, in order.
var Grid = []Config{
	{Name: "baseline", Set: "use_graph=false;use_fusion=false;use_prompts=false"},
	{Name: "+graph", Set: "use_graph=true;use_fusion=false;use_prompts=false", Base: "baseline"},
	{Name: "+fusion", Set: "use_graph=true;use_fusion=true;use_prompts=false", Base: "+graph"},
	{Name: "+prompts", Set: "use_graph=true;use_fusion=true;use_prompts=true", Base: "+fusion"},
	{Name: "+global KD", Set: "kd_global_weight=0.01;kd_local_weight=0;kd_adaptive=false", Student: true, Base: "+prompts"},
	{Name: "+local KD", Set: "kd_global_weight=0.01;kd_local_weight=1;kd_adaptive=false", Student: true, Base: "+global KD"},
	{Name: "full (+adaptive KD)", Set: "kd_global_weight=0.01;kd_local_weight=1;kd_adaptive=true", Student: true, Base: "+local KD"},
}

// DefaultSeeds is the number of seeds when Options.Seeds is 0.
const DefaultSeeds = 3

// Seed offsets: seed s trains teachers and plain rows with seed=TeacherSeedBase+s
// and students with seed=StudentSeedBase+s.
const (
	TeacherSeedBase = 41
	StudentSeedBase = 1041
)

// Significance is the p-value below which the table marks a difference with "*".
const Significance = 0.05

// TeacherConfig is the grid row whose runs teach the student rows.
const TeacherConfig = "+prompts"

// Columns are the metrics of the table, in order; each is tested (they are
// all among metrics.PairedKeys).
var Columns = []string{"BLEU_1", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr", "ce_micro_f1", "ce_macro_f1", "ce_example_f1"}

// ExtraColumns are further keys of a cell's metrics (eval.Result.Flat) shown
// after Columns, mean ± std only (no paired test unless the key is one of
// metrics.PairedKeys): the faithfulness figures (diagnosis, text and
// text-vs-prompt micro-F1, repeated sentences, length).
var ExtraColumns = eval.FaithfulnessKeys

// tableColumns are Columns then ExtraColumns.
func tableColumns() []string { return append(append([]string{}, Columns...), ExtraColumns...) }

// Options configures Run.
type Options struct {
	DataDir, Dataset, ImageRoot string
	Out                         string
	Preset                      string
	Set                         string   // applied to every cell
	Seeds                       int      // 0: DefaultSeeds
	Only                        []string // run only these rows (names); nil: all
	// Resamples of the paired tests (0: metrics.DefaultResamples); TestSeed
	// seeds them.
	Resamples int
	TestSeed  uint64
	Decode    mrgmodel.DecodeOptions
	Progress  io.Writer
	Backend   compute.Backend
}

// Cell is one (config, seed) result, as results.json records it.
type Cell = run.Cell

// Results is results.json.
type Results struct {
	Preset string `json:"preset"`
	Set    string `json:"set"`
	Seeds  int    `json:"seeds"`
	Cells  []Cell `json:"cells"`
	// Tests are the paired tests of each row against its Base, one per row
	// that has a base (in grid order), written after every cell.
	Tests []RowTest `json:"tests,omitempty"`
}

// RowTest is the paired test of a row against the row it adds to, the
// studies of the seeds both have pooled as paired samples ("seed/id").
type RowTest struct {
	Config string `json:"config"`
	Base   string `json:"base"`
	Seeds  []int  `json:"seeds"` // the seeds both rows have
	// Studies is the number of pooled paired studies.
	Studies   int    `json:"studies"`
	Resamples int    `json:"resamples"`
	TestSeed  uint64 `json:"test_seed"`
	// NA says why there is no test ("fewer than 2 seeds"); Metrics is then empty.
	NA string `json:"na,omitempty"`
	// Metrics: per key, A = the base, B = this row, diff = row - base,
	// the bootstrap 95% CI and the approximate-randomization p.
	Metrics map[string]metrics.Comparison `json:"metrics,omitempty"`
}

// Test returns the test of row config, or nil.
func (r *Results) Test(config string) *RowTest {
	for i := range r.Tests {
		if r.Tests[i].Config == config {
			return &r.Tests[i]
		}
	}
	return nil
}

func dirName(config string) string {
	r := strings.NewReplacer("+", "plus_", " ", "_", "(", "", ")", "")
	return r.Replace(config)
}

// Run trains and evaluates every cell (reusing finished ones) and writes
// OUT/results.json, OUT/table.md and OUT/table.csv after each cell.
func Run(opts Options) (*Results, error) {
	if opts.Seeds == 0 {
		opts.Seeds = DefaultSeeds
	}
	if opts.Seeds < 1 {
		return nil, errors.Errorf("seeds=%d: must be >= 1", opts.Seeds)
	}
	if opts.Resamples == 0 {
		opts.Resamples = metrics.DefaultResamples
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Preset == "" {
		opts.Preset = "cpu"
	}
	if opts.Decode.Beam == 0 {
		opts.Decode = mrgmodel.DefaultDecodeOptions()
	}
	rows := Grid
	if len(opts.Only) > 0 {
		rows = nil
		for _, name := range opts.Only {
			found := false
			for _, c := range Grid {
				if c.Name == name {
					rows, found = append(rows, c), true
				}
			}
			if !found {
				return nil, errors.Errorf("unknown ablation row %q", name)
			}
		}
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	res := &Results{Preset: opts.Preset, Set: opts.Set, Seeds: opts.Seeds}
	var teacherSet string
	for _, c := range Grid {
		if c.Name == TeacherConfig {
			teacherSet = c.Set
		}
	}
	for seed := 1; seed <= opts.Seeds; seed++ {
		for _, c := range rows {
			rdir := filepath.Join(opts.Out, dirName(c.Name), fmt.Sprintf("seed%d", seed))
			cell, err := runCell(opts, c, seed, rdir, teacherSet)
			if err != nil {
				return nil, errors.Wrapf(err, "ablation cell %q seed %d", c.Name, seed)
			}
			res.Cells = append(res.Cells, *cell)
			if err := res.Write(opts.Out); err != nil {
				return nil, err
			}
		}
	}
	fmt.Fprintf(opts.Progress, "ablation: paired tests (%d resamples)\n", opts.Resamples)
	if err := res.RunTests(opts.Resamples, opts.TestSeed); err != nil {
		return nil, err
	}
	if err := res.Write(opts.Out); err != nil {
		return nil, err
	}
	return res, nil
}

// RunTests fills Tests from the cells' test-split reports
// (RUN/eval_test/reports.json): for each row with a base, both rows' studies
// of every seed both have, ids prefixed with the seed, compared with
// metrics.Compare. Fewer than 2 common seeds: NA, no p-values.
func (r *Results) RunTests(resamples int, seed uint64) error {
	cells := map[string]map[int]Cell{}
	for _, c := range r.Cells {
		if cells[c.Config] == nil {
			cells[c.Config] = map[int]Cell{}
		}
		cells[c.Config][c.Seed] = c
	}
	r.Tests = nil
	for _, g := range Grid {
		if g.Base == "" || cells[g.Name] == nil || cells[g.Base] == nil {
			continue
		}
		t := RowTest{Config: g.Name, Base: g.Base, Resamples: resamples, TestSeed: seed}
		for s := range cells[g.Name] {
			if _, ok := cells[g.Base][s]; ok {
				t.Seeds = append(t.Seeds, s)
			}
		}
		sort.Ints(t.Seeds)
		if len(t.Seeds) < 2 {
			t.NA = fmt.Sprintf("fewer than 2 seeds (%d)", len(t.Seeds))
			r.Tests = append(r.Tests, t)
			continue
		}
		in := metrics.PairedInput{Refs: map[string][]string{}, A: map[string][]string{}, B: map[string][]string{},
			RefLabels: map[string]chexpert.Labels{}, ALabels: map[string]chexpert.Labels{}, BLabels: map[string]chexpert.Labels{}}
		for _, s := range t.Seeds {
			base, err := readReports(cells[g.Base][s].Run)
			if err != nil {
				return err
			}
			row, err := readReports(cells[g.Name][s].Run)
			if err != nil {
				return err
			}
			if len(base) != len(row) {
				return errors.Errorf("seed %d: %q has %d test studies but %q %d", s, g.Base, len(base), g.Name, len(row))
			}
			for id, b := range base {
				x, ok := row[id]
				if !ok {
					return errors.Errorf("seed %d: study %q is in %s but not in %s", s, id, cells[g.Base][s].Run, cells[g.Name][s].Run)
				}
				key := fmt.Sprintf("%d/%s", s, id)
				in.Refs[key] = []string{b.Reference}
				in.A[key], in.B[key] = []string{b.Generated}, []string{x.Generated}
				in.RefLabels[key], in.ALabels[key], in.BLabels[key] = b.RefLabels, b.GenLabels, x.GenLabels
			}
		}
		p, err := metrics.NewPaired(in)
		if err != nil {
			return errors.Wrapf(err, "paired test of %q against %q", g.Name, g.Base)
		}
		t.Studies = len(p.IDs)
		t.Metrics = p.Compare(resamples, seed)
		r.Tests = append(r.Tests, t)
	}
	return nil
}

// readReports reads RUN/eval_test/reports.json by study id.
func readReports(rdir string) (map[string]eval.Study, error) {
	studies, err := run.ReadReports(run.Dir(rdir).Reports("test"))
	if err != nil {
		return nil, err
	}
	m := make(map[string]eval.Study, len(studies))
	for _, s := range studies {
		m[s.ID] = s
	}
	return m, nil
}

func runCell(opts Options, c Config, seed int, rdir, teacherSet string) (*Cell, error) {
	trainSeed := TeacherSeedBase + seed
	if c.Student {
		trainSeed = StudentSeedBase + seed
	}
	seedSet := fmt.Sprintf("seed=%d", trainSeed)
	metricsPath := run.Dir(rdir).Metrics("test")
	if m, err := readMetrics(metricsPath); err == nil {
		if got, err := runSeed(rdir); err != nil {
			return nil, err
		} else if got != trainSeed {
			return nil, errors.Errorf("%s was trained with seed=%d, this grid wants seed=%d (made by an older mrg ablate, whose students shared their teacher's seed?): remove the directory to retrain it", rdir, got, trainSeed)
		}
		fmt.Fprintf(opts.Progress, "ablation: %s seed %d already done (%s)\n", c.Name, seed, rdir)
		return &Cell{Config: c.Name, Seed: seed, Run: rdir, Metrics: m}, nil
	}
	fmt.Fprintf(opts.Progress, "ablation: %s seed %d → %s (seed=%d)\n", c.Name, seed, rdir, trainSeed)
	if c.Student {
		teacher := filepath.Join(opts.Out, dirName(TeacherConfig), fmt.Sprintf("seed%d", seed))
		if _, err := readMetrics(run.Dir(teacher).Metrics("test")); err != nil {
			tc := Config{Name: TeacherConfig, Set: teacherSet}
			if _, err := runCell(opts, tc, seed, teacher, teacherSet); err != nil {
				return nil, err
			}
		}
		if _, err := distill.Distill(distill.Options{Teacher: teacher, DataDir: opts.DataDir, Dataset: opts.Dataset, ImageRoot: opts.ImageRoot,
			Preset: opts.Preset, Set: train.JoinSets(opts.Set, c.Set, teacherSet, seedSet), Out: rdir, Progress: opts.Progress, Backend: opts.Backend}); err != nil {
			return nil, err
		}
	} else {
		if _, err := train.Train(train.Options{DataDir: opts.DataDir, Dataset: opts.Dataset, ImageRoot: opts.ImageRoot, Preset: opts.Preset,
			Set: train.JoinSets(opts.Set, c.Set, seedSet), Out: rdir, Progress: opts.Progress, Backend: opts.Backend}); err != nil {
			return nil, err
		}
	}
	r, err := run.Evaluate(rdir, run.EvalOptions{Split: "test", Decode: opts.Decode, Backend: opts.Backend, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	return &Cell{Config: c.Name, Seed: seed, Run: rdir, Metrics: r.Flat}, nil
}

// runSeed is the last seed=N of a run's recorded settings (run.json).
func runSeed(rdir string) (int, error) {
	path := run.Dir(rdir).RunJSON()
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var info run.Info
	if err := json.Unmarshal(b, &info); err != nil {
		return 0, errors.Wrapf(err, "%s", path)
	}
	seed := -1
	for _, kv := range strings.Split(info.Set, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.TrimSpace(k) == "seed" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				seed = n
			}
		}
	}
	if seed < 0 {
		return 0, errors.Errorf("%s: no seed=N in the run's settings %q", path, info.Set)
	}
	return seed, nil
}

// readMetrics reads the metrics of an evaluation's metrics.json (the
// file's "metrics"); one without any is an error naming it.
func readMetrics(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "reading evaluation metrics")
	}
	var m struct {
		Metrics map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	if len(m.Metrics) == 0 {
		return nil, errors.Errorf("%s has no metrics", path)
	}
	return m.Metrics, nil
}

// Summary is mean and sample standard deviation per (config, metric).
type Summary struct {
	Configs []string
	Mean    map[string]map[string]float64
	Std     map[string]map[string]float64
	N       map[string]int
}

// Summarize aggregates cells over seeds, keeping the grid's row order.
func (r *Results) Summarize() Summary {
	s := Summary{Mean: map[string]map[string]float64{}, Std: map[string]map[string]float64{}, N: map[string]int{}}
	vals := map[string]map[string][]float64{}
	for _, c := range r.Cells {
		if vals[c.Config] == nil {
			vals[c.Config] = map[string][]float64{}
			s.Configs = append(s.Configs, c.Config)
		}
		s.N[c.Config]++
		for k, v := range c.Metrics {
			vals[c.Config][k] = append(vals[c.Config][k], v)
		}
	}
	order := map[string]int{}
	for i, g := range Grid {
		order[g.Name] = i
	}
	sort.SliceStable(s.Configs, func(a, b int) bool { return order[s.Configs[a]] < order[s.Configs[b]] })
	for cfg, m := range vals {
		s.Mean[cfg], s.Std[cfg] = map[string]float64{}, map[string]float64{}
		for k, xs := range m {
			mean, std := meanStd(xs)
			s.Mean[cfg][k], s.Std[cfg][k] = mean, std
		}
	}
	return s
}

func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)-1))
}

// Markdown renders the paper-style table: mean ± std over seeds, "*" where
// the paired test against the row it adds to gives p < Significance, then
// the p-values ("n/a" with fewer than 2 seeds).
func (r *Results) Markdown() string {
	s := r.Summarize()
	cols := tableColumns()
	var b strings.Builder
	fmt.Fprintf(&b, "| model | seeds | %s |\n|---|---|%s\n", strings.Join(headers(cols), " | "), strings.Repeat("---|", len(cols)))
	for _, cfg := range s.Configs {
		t := r.Test(cfg)
		cells := make([]string, len(cols))
		for i, col := range cols {
			if _, ok := s.Mean[cfg][col]; !ok {
				cells[i] = "–"
				continue
			}
			cells[i] = fmt.Sprintf("%.3f ± %.3f", s.Mean[cfg][col], s.Std[cfg][col])
			if t != nil && t.NA == "" {
				if c, ok := t.Metrics[col]; ok && c.P < Significance {
					cells[i] += " *"
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", cfg, s.N[cfg], strings.Join(cells, " | "))
	}
	if len(r.Tests) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\nPaired tests of each row against the row it adds to (seeds' test studies pooled; "+
		"B−A with bootstrap 95%% CI; two-sided approximate-randomization p; * p < %g):\n\n", Significance)
	fmt.Fprintf(&b, "| model | vs | studies | %s |\n|---|---|---|%s\n", strings.Join(headers(cols), " | "), strings.Repeat("---|", len(cols)))
	for _, t := range r.Tests {
		cells := make([]string, len(cols))
		for i, col := range cols {
			cells[i] = pCell(&t, col, true)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", t.Config, t.Base, t.Studies, strings.Join(cells, " | "))
	}
	return b.String()
}

// pCell is a test's entry for a column: "n/a" without a test, "–" for an
// untested column, else p (with the difference and CI when long).
func pCell(t *RowTest, col string, long bool) string {
	if t == nil || t.NA != "" {
		return "n/a"
	}
	c, ok := t.Metrics[col]
	if !ok {
		return "–"
	}
	star := ""
	if c.P < Significance {
		star = " *"
	}
	if !long {
		return fmt.Sprintf("%.6f", c.P)
	}
	return fmt.Sprintf("%+.3f [%+.3f, %+.3f] p=%.4f%s", c.Diff, c.CI[0], c.CI[1], c.P, star)
}

func headers(cols []string) []string {
	names := map[string]string{"BLEU_1": "B1", "BLEU_4": "B4", "METEOR": "MTR", "ROUGE_L": "RL", "CIDEr": "CIDEr",
		"ce_micro_f1": "CE F1 (micro)", "ce_macro_f1": "CE F1 (macro)", "ce_example_f1": "CE F1 (example)"}
	out := make([]string, len(cols))
	for i, c := range cols {
		if n, ok := names[c]; ok {
			out[i] = n
		} else {
			out[i] = c
		}
	}
	return out
}

// CSV renders one line per (config, seed) with every column, then one line
// per row test with seed "p_vs_<base>" and the p-values ("n/a" with fewer
// than 2 seeds).
func (r *Results) CSV() string {
	cols := tableColumns()
	var b strings.Builder
	fmt.Fprintf(&b, "config,seed,%s\n", strings.Join(cols, ","))
	for _, c := range r.Cells {
		vals := make([]string, len(cols))
		for i, col := range cols {
			vals[i] = fmt.Sprintf("%.6f", c.Metrics[col])
		}
		fmt.Fprintf(&b, "%q,%d,%s\n", c.Config, c.Seed, strings.Join(vals, ","))
	}
	for _, t := range r.Tests {
		vals := make([]string, len(cols))
		for i, col := range cols {
			vals[i] = pCell(&t, col, false)
		}
		fmt.Fprintf(&b, "%q,%q,%s\n", t.Config, "p_vs_"+t.Base, strings.Join(vals, ","))
	}
	return b.String()
}

// Write writes results.json, table.md and table.csv into dir, atomically.
func (r *Results) Write(dir string) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	for name, content := range map[string][]byte{run.ResultsFile: js, "table.md": []byte(r.Markdown()), "table.csv": []byte(r.CSV())} {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), content); err != nil {
			return errors.Wrapf(err, "writing %s", name)
		}
	}
	return nil
}
