package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

func init() {
	register(verb{name: "train", summary: "train a teacher (phase 1) on a dataset", run: runTrain})
	register(verb{name: "eval", summary: "generate and score a split with a trained run", run: runEval})
	register(verb{name: "generate", summary: "write the report of one study's X-ray image(s)", run: runGenerate})
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	imageLimitFlags(fs)
	dataDir := fs.String("data", "", "dataset directory with annotation.json (required)")
	dataset := fs.String("dataset", "", "dataset flavour: toycxr, iu_xray or mimic_cxr (default toycxr; a resumed run keeps its own)")
	images := fs.String("images", "", "image root (default DATA/images)")
	preset := fs.String("preset", "", "preset: "+strings.Join(mrgmodel.PresetNames(), ", ")+" (default cpu; a resumed run keeps its own)")
	set := fs.String("set", "", `hyperparameters, "key=value;key2=value2" (see -params)`)
	out := fs.String("out", "", "run directory (required; an existing run is resumed)")
	force := fs.Bool("force", false, "start a new run in a non-empty -out that holds no run to resume (replaces the kit's files there, keeps others)")
	maxSteps := fs.Int("max-steps", 0, "stop after this many global steps (checkpointed; rerun to resume)")
	initEnc := fs.String("init-encoder", "", "GoMLX checkpoint directory whose /model/encoder/ weights initialise the encoder (e.g. converted ImageNet weights)")
	params := fs.Bool("params", false, "list every hyperparameter (model, training, distillation) with its value in the preset, range and doc, and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *params {
		if *preset == "" {
			*preset = "cpu"
		}
		return printParams(stdout, *preset)
	}
	if *dataDir == "" || *out == "" {
		return usagef("-data and -out are required")
	}
	fmt.Fprintln(stderr, backend.Describe())
	_, err := train.Train(train.Options{DataDir: *dataDir, Dataset: *dataset, ImageRoot: *images, Preset: *preset,
		Set: *set, Out: *out, Progress: stderr, MaxSteps: *maxSteps, InitEncoder: *initEnc, Force: *force})
	return err
}

// printParams lists every declared hyperparameter (model, data, training
// and distillation: hparams.All) with its value in the preset, its type,
// its range or choices and its doc line.
func printParams(w io.Writer, preset string) error {
	if _, ok := mrgmodel.Presets[preset]; !ok {
		return usagef("unknown preset %q (known: %s)", preset, strings.Join(mrgmodel.PresetNames(), ", "))
	}
	p := train.PresetParams(preset)
	fmt.Fprintf(w, "%-18s %-8s %-20s %-22s %s\n", "key", "type", preset, "range", "doc")
	for _, s := range hparams.All() {
		v, ok := p[s.Key]
		if !ok {
			v = s.Default
		}
		r := s.RangeText()
		switch {
		case len(s.Choices) > 0:
			r = strings.Join(s.Choices, "|")
		case s.Type() == "bool":
			r = "true|false"
		}
		doc := s.Doc
		if len(s.Aliases) > 0 {
			doc += " (was: " + strings.Join(s.Aliases, ", ") + ")"
		}
		if s.Resumable {
			doc += " [resumable]"
		}
		fmt.Fprintf(w, "%-18s %-8s %-20v %-22s %s\n", s.Key, s.Type(), v, r, doc)
	}
	return nil
}

func decodeFlags(fs interface {
	Int(string, int, string) *int
	Float64(string, float64, string) *float64
}) func() mrgmodel.DecodeOptions {
	d := mrgmodel.DefaultDecodeOptions()
	beam := fs.Int("beam", d.Beam, "beam width in [1,16] (1 = greedy)")
	minLen := fs.Int("min-len", d.MinLen, "minimum words")
	maxLen := fs.Int("max-len", d.MaxLen, "maximum words (0: the model's)")
	rep := fs.Float64("repetition-penalty", d.RepetitionPenalty, "penalty >= 1 applied once to each word already generated (1 = off)")
	lp := fs.Float64("length-penalty", d.LengthPenalty, "beam score = logprob / (words+1)^α, α in [0,5] (0 = summed logprob)")
	ngram := fs.Int("no-repeat-ngram", d.NoRepeatNgram, "ban repeating any n-gram of this size (R2Gen's block_trigrams: 3; 0 = off)")
	return func() mrgmodel.DecodeOptions {
		return mrgmodel.DecodeOptions{Beam: *beam, MinLen: *minLen, MaxLen: *maxLen, RepetitionPenalty: *rep, LengthPenalty: *lp, NoRepeatNgram: *ngram}
	}
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	imageLimitFlags(fs)
	rdir := fs.String("run", "", "run directory (required)")
	split := fs.String("split", "test", "split: train, val or test")
	dataDir := fs.String("data", "", "dataset directory (default: the run's)")
	images := fs.String("images", "", "image root (default: the run's)")
	out := fs.String("out", "", "output directory (default RUN/eval_SPLIT, RUN/eval_SPLIT_truth with -prompts truth)")
	prompts := fs.String("prompts", eval.PromptsPredicted, "decoder prompts: predicted (the diagnosis branch) or truth (ground-truth labels: oracle-prompt evaluation)")
	dec := decodeFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rdir == "" {
		return usagef("-run is required")
	}
	if *split != "train" && *split != "val" && *split != "test" {
		return usagef("-split must be train, val or test, got %q", *split)
	}
	if *prompts != eval.PromptsPredicted && *prompts != eval.PromptsTruth {
		return usagef("-prompts must be %s or %s, got %q", eval.PromptsPredicted, eval.PromptsTruth, *prompts)
	}
	fmt.Fprintln(stderr, backend.Describe())
	res, err := run.Evaluate(*rdir, run.EvalOptions{Split: *split, Decode: dec(), DataDir: *dataDir, ImageRoot: *images, Progress: stderr, Out: *out, Prompts: *prompts})
	if err != nil {
		return err
	}
	eval.WriteFaithfulness(stderr, res)
	return writeJSON(stdout, map[string]any{"split": res.Split, "prompts": res.Prompts, "studies": len(res.Studies), "metrics": res.Flat})
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", stderr)
	imageLimitFlags(fs)
	rdir := fs.String("run", "", "run directory (required)")
	var imgs multiFlag
	fs.Var(&imgs, "image", "image file (PNG or JPEG); give twice for frontal and lateral")
	asJSON := fs.Bool("json", false, "print JSON")
	dec := decodeFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rdir == "" || len(imgs) == 0 {
		return usagef("-run and -image are required")
	}
	fmt.Fprintln(stderr, backend.Describe())
	res, err := run.GenerateStudy(*rdir, imgs, dec(), nil, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintln(stdout, res.Report)
	if len(res.Labels) > 0 {
		fmt.Fprintln(stdout, "\npredicted findings:")
		for _, o := range chexpert.Observations {
			s, ok := res.Labels[o]
			if !ok {
				continue
			}
			fmt.Fprintf(stdout, "  %-27s %-9s p(positive)=%.2f\n", o, s, res.PositiveP[o])
		}
	}
	return nil
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
