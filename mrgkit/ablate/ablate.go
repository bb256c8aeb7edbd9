// Package ablate runs the method's ablation grid — baseline, +graph,
// +fusion, +prompts, +global KD, +local KD, full (+adaptive KD) — over
// several seeds, evaluates every cell on the test split, and writes a
// paper-style table (mean ± std), a CSV and results.json. Finished cells are
// reused when the grid is run again.
package ablate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/distill"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// Config is one row of the ablation table.
type Config struct {
	Name string
	// Set are the hyperparameters of the cell (added to the user's).
	Set string
	// Student cells are distilled from the same seed's "+prompts" teacher.
	Student bool
}

// Grid is the ablation table's rows, in order.
var Grid = []Config{
	{Name: "baseline", Set: "use_graph=false;use_fusion=false;use_prompts=false"},
	{Name: "+graph", Set: "use_graph=true;use_fusion=false;use_prompts=false"},
	{Name: "+fusion", Set: "use_graph=true;use_fusion=true;use_prompts=false"},
	{Name: "+prompts", Set: "use_graph=true;use_fusion=true;use_prompts=true"},
	{Name: "+global KD", Set: "kd_global_weight=0.01;kd_local_weight=0;kd_adaptive=false", Student: true},
	{Name: "+local KD", Set: "kd_global_weight=0.01;kd_local_weight=1;kd_adaptive=false", Student: true},
	{Name: "full (+adaptive KD)", Set: "kd_global_weight=0.01;kd_local_weight=1;kd_adaptive=true", Student: true},
}

// TeacherConfig is the grid row whose runs teach the student rows.
const TeacherConfig = "+prompts"

// Columns are the metrics of the table, in order.
var Columns = []string{"BLEU_1", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr", "ce_micro_f1", "ce_macro_f1", "ce_example_f1"}

// Options configures Run.
type Options struct {
	DataDir, Dataset, ImageRoot string
	Out                         string
	Preset                      string
	Set                         string // applied to every cell
	Seeds                       int
	Only                        []string // run only these rows (names); nil: all
	Decode                      mrgmodel.DecodeOptions
	Progress                    io.Writer
	Backend                     compute.Backend
}

// Cell is one (config, seed) result.
type Cell struct {
	Config  string             `json:"config"`
	Seed    int                `json:"seed"`
	Run     string             `json:"run"`
	Metrics map[string]float64 `json:"metrics"`
}

// Results is results.json.
type Results struct {
	Preset string `json:"preset"`
	Set    string `json:"set"`
	Seeds  int    `json:"seeds"`
	Cells  []Cell `json:"cells"`
}

func dirName(config string) string {
	r := strings.NewReplacer("+", "plus_", " ", "_", "(", "", ")", "")
	return r.Replace(config)
}

// Run trains and evaluates every cell (reusing finished ones) and writes
// OUT/results.json, OUT/table.md and OUT/table.csv after each cell.
func Run(opts Options) (*Results, error) {
	if opts.Seeds < 1 {
		return nil, errors.Errorf("seeds=%d: must be >= 1", opts.Seeds)
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
			run := filepath.Join(opts.Out, dirName(c.Name), fmt.Sprintf("seed%d", seed))
			cell, err := runCell(opts, c, seed, run, teacherSet)
			if err != nil {
				return nil, errors.Wrapf(err, "ablation cell %q seed %d", c.Name, seed)
			}
			res.Cells = append(res.Cells, *cell)
			if err := res.Write(opts.Out); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

func runCell(opts Options, c Config, seed int, run, teacherSet string) (*Cell, error) {
	metricsPath := filepath.Join(run, "eval_test", train.MetricsFile)
	if m, err := readMetrics(metricsPath); err == nil {
		fmt.Fprintf(opts.Progress, "ablation: %s seed %d already done (%s)\n", c.Name, seed, run)
		return &Cell{Config: c.Name, Seed: seed, Run: run, Metrics: m}, nil
	}
	fmt.Fprintf(opts.Progress, "ablation: %s seed %d → %s\n", c.Name, seed, run)
	seedSet := fmt.Sprintf("seed=%d", 41+seed)
	if c.Student {
		teacher := filepath.Join(opts.Out, dirName(TeacherConfig), fmt.Sprintf("seed%d", seed))
		if _, err := readMetrics(filepath.Join(teacher, "eval_test", train.MetricsFile)); err != nil {
			tc := Config{Name: TeacherConfig, Set: teacherSet}
			if _, err := runCell(opts, tc, seed, teacher, teacherSet); err != nil {
				return nil, err
			}
		}
		if _, err := distill.Distill(distill.Options{Teacher: teacher, DataDir: opts.DataDir, Dataset: opts.Dataset, ImageRoot: opts.ImageRoot,
			Preset: opts.Preset, Set: train.JoinSets(opts.Set, c.Set, teacherSet, seedSet), Out: run, Progress: opts.Progress, Backend: opts.Backend}); err != nil {
			return nil, err
		}
	} else {
		if _, err := train.Train(train.Options{DataDir: opts.DataDir, Dataset: opts.Dataset, ImageRoot: opts.ImageRoot, Preset: opts.Preset,
			Set: train.JoinSets(opts.Set, c.Set, seedSet), Out: run, Progress: opts.Progress, Backend: opts.Backend}); err != nil {
			return nil, err
		}
	}
	r, err := train.EvaluateRun(run, train.EvalOptions{Split: "test", Decode: opts.Decode, Backend: opts.Backend, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	return &Cell{Config: c.Name, Seed: seed, Run: run, Metrics: r.Flat}, nil
}

func readMetrics(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m struct {
		Metrics map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(b, &m); err != nil || len(m.Metrics) == 0 {
		return nil, errors.Errorf("%s is not a finished evaluation", path)
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

// Markdown renders the paper-style table (mean ± std over seeds).
func (r *Results) Markdown() string {
	s := r.Summarize()
	var b strings.Builder
	fmt.Fprintf(&b, "| model | seeds | %s |\n|---|---|%s\n", strings.Join(headers(), " | "), strings.Repeat("---|", len(Columns)))
	for _, cfg := range s.Configs {
		cells := make([]string, len(Columns))
		for i, col := range Columns {
			if _, ok := s.Mean[cfg][col]; !ok {
				cells[i] = "–"
				continue
			}
			cells[i] = fmt.Sprintf("%.3f ± %.3f", s.Mean[cfg][col], s.Std[cfg][col])
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", cfg, s.N[cfg], strings.Join(cells, " | "))
	}
	return b.String()
}

func headers() []string {
	names := map[string]string{"BLEU_1": "B1", "BLEU_4": "B4", "METEOR": "MTR", "ROUGE_L": "RL", "CIDEr": "CIDEr",
		"ce_micro_f1": "CE F1 (micro)", "ce_macro_f1": "CE F1 (macro)", "ce_example_f1": "CE F1 (example)"}
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = names[c]
	}
	return out
}

// CSV renders one line per (config, seed) with every column.
func (r *Results) CSV() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config,seed,%s\n", strings.Join(Columns, ","))
	for _, c := range r.Cells {
		vals := make([]string, len(Columns))
		for i, col := range Columns {
			vals[i] = fmt.Sprintf("%.6f", c.Metrics[col])
		}
		fmt.Fprintf(&b, "%q,%d,%s\n", c.Config, c.Seed, strings.Join(vals, ","))
	}
	return b.String()
}

// Write writes results.json, table.md and table.csv into dir, atomically.
func (r *Results) Write(dir string) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	for name, content := range map[string][]byte{"results.json": js, "table.md": []byte(r.Markdown()), "table.csv": []byte(r.CSV())} {
		if err := data.WriteFileAtomic(filepath.Join(dir, name), content); err != nil {
			return errors.Wrapf(err, "writing %s", name)
		}
	}
	return nil
}
