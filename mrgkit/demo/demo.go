// Package demo is `mrg demo`: synthetic data, a teacher, a distilled
// student, their test metrics beside constant-report baselines, and the
// figures — the kit's end-to-end run in minutes on a laptop CPU.
package demo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/distill"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/toycxr"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// Options configures Run.
type Options struct {
	Quick      bool   // small data, tiny preset: seconds (tests)
	DataDir    string // synthetic data (generated if absent); default data/toycxr (data/toycxr_small when Quick)
	Out        string // runs; default runs/demo (runs/demo_quick)
	Figures    string // default figures/demo (figures/demo_quick)
	TeacherSet string // extra -set for the teacher
	StudentSet string // extra -set for the student
	Progress   io.Writer
	Backend    compute.Backend
}

// Row is one line of the demo's table.
type Row struct {
	Name    string             `json:"name"`
	Metrics map[string]float64 `json:"metrics"`
}

// Summary is written to OUT/summary.json.
type Summary struct {
	Rows    []Row              `json:"rows"`
	Figures []string           `json:"figures"`
	Seconds map[string]float64 `json:"seconds"`
	Backend string             `json:"backend"`
}

// Settings of the demo's runs (on top of the preset).
const (
	// 10 and 8 epochs: with content-plan targets (report_order=planned)
	// both models' oracle-prompt text is above micro-F1 0.95 on synthetic
	// sets of two seeds (README, "Faithful reports"); the student learns
	// faster from its teacher.
	teacherSet = "epochs=10;val_limit=6"
	// The student is a fresh model: its own seed (initialisation and batch
	// order), not its teacher's.
	studentSet      = "epochs=8;val_limit=6;kd_adaptive=true;seed=1042"
	quickTeacherSet = "epochs=2;vocab_threshold=2"
	quickStudentSet = "epochs=2;kd_adaptive=true;seed=1042"
)

// Run runs the demo.
func Run(opts Options) (*Summary, error) {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	suffix, preset := "", "cpu"
	tset, sset := teacherSet, studentSet
	dcfg := toycxr.DefaultConfig()
	decode := mrgmodel.DefaultDecodeOptions()
	if opts.Quick {
		suffix, preset = "_quick", "tiny"
		tset, sset = quickTeacherSet, quickStudentSet
		dcfg = toycxr.SmallConfig()
		decode.Beam = 1
	}
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join("data", "toycxr"+strings.Replace(suffix, "_quick", "_small", 1))
	}
	if opts.Out == "" {
		opts.Out = filepath.Join("runs", "demo"+suffix)
	}
	if opts.Figures == "" {
		opts.Figures = filepath.Join("figures", "demo"+suffix)
	}
	be := opts.Backend
	var err error
	if be == nil {
		if be, err = backend.Shared(); err != nil {
			return nil, err
		}
	}
	sum := &Summary{Seconds: map[string]float64{}, Backend: be.Name()}
	p := opts.Progress
	fmt.Fprintf(p, "mrg demo: %s\n", backend.Describe())
	start := time.Now()

	// 1. Data.
	t0 := time.Now()
	if _, err := os.Stat(data.AnnotationPath(opts.DataDir)); err != nil {
		fmt.Fprintf(p, "[1/5] generating the synthetic dataset in %s\n", opts.DataDir)
		if err := toycxr.Generate(opts.DataDir, dcfg, p); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(p, "[1/5] using the synthetic dataset in %s\n", opts.DataDir)
	}
	sum.Seconds["data"] = time.Since(t0).Seconds()

	// 2. Teacher.
	t0 = time.Now()
	teacher := filepath.Join(opts.Out, "teacher")
	fmt.Fprintf(p, "[2/5] training the teacher (%s preset) → %s\n", preset, teacher)
	if _, err := train.Train(train.Options{DataDir: opts.DataDir, Dataset: "toycxr", Preset: preset, Set: train.JoinSets(tset, opts.TeacherSet),
		Out: teacher, Progress: p, Backend: be}); err != nil {
		return nil, errors.Wrap(err, "teacher")
	}
	sum.Seconds["teacher"] = time.Since(t0).Seconds()

	// 3. Student.
	t0 = time.Now()
	student := filepath.Join(opts.Out, "student")
	fmt.Fprintf(p, "[3/5] distilling the student (adaptive KD) → %s\n", student)
	if _, err := distill.Distill(distill.Options{Teacher: teacher, Set: train.JoinSets(sset, opts.StudentSet), Out: student, Progress: p, Backend: be}); err != nil {
		return nil, errors.Wrap(err, "student")
	}
	sum.Seconds["student"] = time.Since(t0).Seconds()

	// 4. Test evaluation and baselines.
	t0 = time.Now()
	fmt.Fprintf(p, "[4/5] evaluating on the test split (beam %d, length penalty %g, no-repeat %d-grams; `mrg eval -run RUN -prompts truth` evaluates with oracle prompts)\n",
		decode.Beam, decode.LengthPenalty, decode.NoRepeatNgram)
	for _, r := range []struct {
		name, dir string
		oracle    bool
	}{{"teacher", teacher, opts.Quick}, {"student (adaptive KD)", student, false}} {
		for _, prompts := range []string{eval.PromptsPredicted, eval.PromptsTruth} {
			if prompts == eval.PromptsTruth && !r.oracle {
				continue
			}
			res, err := run.Evaluate(r.dir, run.EvalOptions{Split: "test", Decode: decode, Backend: be, Progress: p, Prompts: prompts})
			if err != nil {
				return nil, errors.Wrapf(err, "evaluating %s", r.name)
			}
			name := r.name
			if prompts == eval.PromptsTruth {
				name += ", oracle prompts"
			}
			fmt.Fprintf(p, "%s:\n", name)
			eval.WriteFaithfulness(p, res)
			sum.Rows = append(sum.Rows, Row{name, res.Flat})
		}
	}
	base, err := baselines(opts.DataDir)
	if err != nil {
		return nil, err
	}
	for _, b := range base {
		sum.Rows = append(sum.Rows, Row{b.Name, b.Metrics})
	}
	sum.Seconds["eval"] = time.Since(t0).Seconds()

	// 5. Figures.
	t0 = time.Now()
	fmt.Fprintf(p, "[5/5] writing figures into %s\n", opts.Figures)
	figs, err := figures(opts, teacher, student, sum.Rows, be)
	if err != nil {
		return nil, err
	}
	sum.Figures = figs
	sum.Seconds["figures"] = time.Since(t0).Seconds()
	sum.Seconds["total"] = time.Since(start).Seconds()

	if err := atomicfile.WriteJSON(filepath.Join(opts.Out, "summary.json"), sum); err != nil {
		return nil, err
	}
	fmt.Fprintf(p, "done in %s\n", time.Since(start).Round(time.Second))
	return sum, nil
}

func baselines(dataDir string) ([]eval.Baseline, error) {
	ann, err := data.LoadAnnotation(data.AnnotationPath(dataDir))
	if err != nil {
		return nil, err
	}
	var trainReports []string
	for _, e := range ann.Train {
		trainReports = append(trainReports, data.CleanIU(e.Report))
	}
	refs := map[string]string{}
	for _, e := range ann.Test {
		refs[e.ID] = data.CleanIU(e.Report)
	}
	return eval.Baselines(trainReports, refs, 50)
}

// Table renders the summary rows as a Markdown table.
func (s *Summary) Table() string {
	cols := []struct{ key, name string }{{"BLEU_1", "B1"}, {"BLEU_4", "B4"}, {"METEOR", "MTR"}, {"ROUGE_L", "RL"}, {"CIDEr", "CIDEr"},
		{"ce_micro_f1", "CE-F1 micro"}, {"ce_example_f1", "CE-F1 example"},
		{"diag_micro_f1", "diagnosis F1"}, {"text_micro_f1", "text F1"}, {"text_micro_f1_no_nf", "text F1 w/o NF"},
		{"faith_micro_f1", "faithful F1"}, {"repeated_sentence_rate", "repeats"}}
	var b strings.Builder
	b.WriteString("| model |")
	for _, c := range cols {
		b.WriteString(" " + c.name + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, r := range s.Rows {
		b.WriteString("| " + r.Name + " |")
		for _, c := range cols {
			if v, ok := r.Metrics[c.key]; ok {
				fmt.Fprintf(&b, " %.3f |", v)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func figures(opts Options, teacher, student string, rows []Row, be compute.Backend) ([]string, error) {
	var out []string
	for _, r := range []struct{ name, dir string }{{"teacher", teacher}, {"student", student}} {
		f, err := plots.LossCurves(run.Dir(r.dir).Log(), filepath.Join(opts.Figures, r.name))
		if err != nil {
			return nil, errors.Wrapf(err, "%s curves", r.name)
		}
		out = append(out, f...)
	}
	// Test metrics: models beside the baselines.
	var bars []plots.Bar
	for _, m := range []struct{ key, name string }{{"BLEU_1", "BLEU-1"}, {"BLEU_4", "BLEU-4"}, {"ROUGE_L", "ROUGE-L"}, {"ce_micro_f1", "CE F1 micro"}, {"ce_example_f1", "CE F1 example"}} {
		for _, r := range rows {
			bars = append(bars, plots.Bar{Group: m.name, Name: r.Name, Mean: r.Metrics[m.key]})
		}
	}
	f, err := plots.Both(filepath.Join(opts.Figures, "test_metrics"), func(path string) error {
		return plots.Bars(path, "Test split: models and constant-report baselines", "score", bars)
	})
	if err != nil {
		return nil, err
	}
	out = append(out, f...)
	// Knowledge-graph adjacency.
	names := plots.ConceptNames()
	f, err = plots.Both(filepath.Join(opts.Figures, "graph_adjacency"), func(path string) error {
		return plots.Heatmap(path, "Knowledge-graph adjacency", plots.BoolMatrix(mrgmodel.Adjacency()), names, names)
	})
	if err != nil {
		return nil, err
	}
	out = append(out, f...)
	// Patch→concept attention over a test X-ray.
	att, err := attentionFigure(opts, teacher, be)
	if err != nil {
		return nil, err
	}
	return append(out, att...), nil
}

// attentionFigure overlays the teacher's patch→"cardiomegaly" attention on
// the frontal image of the first test study whose labels say cardiomegaly
// (else the first test study).
func attentionFigure(opts Options, rdir string, be compute.Backend) ([]string, error) {
	ann, err := data.LoadAnnotation(data.AnnotationPath(opts.DataDir))
	if err != nil {
		return nil, err
	}
	if len(ann.Test) == 0 {
		return nil, nil
	}
	pick := ann.Test[0]
	for _, e := range ann.Test {
		if e.Labels != nil && e.Labels[chexpert.Cardiomegaly] == chexpert.Positive {
			pick = e
			break
		}
	}
	var imgs []string
	for _, p := range pick.ImagePaths {
		imgs = append(imgs, filepath.Join(opts.DataDir, "images", p))
	}
	m, err := run.LoadModel(rdir)
	if err != nil {
		return nil, err
	}
	c := m.Config
	if !c.FusionAttn() {
		return nil, nil
	}
	if len(imgs) > c.Views {
		imgs = imgs[:c.Views]
	}
	res, err := m.GenerateStudy(imgs, mrgmodel.DecodeOptions{Beam: 1, RepetitionPenalty: 1}, be, nil)
	if err != nil {
		return nil, err
	}
	node, err := plots.ConceptIndices("cardiomegaly")
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("%s: patch attention to \"cardiomegaly\"", pick.ID)
	return plots.AttentionFigure(filepath.Join(opts.Figures, "attention_cardiomegaly"), res, c, node[0], title)
}
