package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/data"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/toycxr"
)

func init() {
	register(verb{name: "data", summary: "datasets: synth | clean | vocab | check", run: runData})
}

const dataUsage = `usage: mrg data <command> [flags]

commands:
  synth -out DIR [-preset default|small] [-n N] [-size PX] [-seed S] [-difficulty D] [-views 1|2]
        write the synthetic toycxr dataset: DIR/annotation.json, DIR/images/<id>/{0,1}.png
  clean -dataset iu_xray|mimic_cxr|toycxr -ann FILE
        print {id: cleaned report} (R2Gen's cleaning) for every split as JSON
  vocab -dataset iu_xray|mimic_cxr|toycxr -ann FILE [-threshold N] [-json] [-out FILE]
        build R2Gen's vocabulary from the train split; size counts <unk>
  check -ann FILE -images DIR
        validate every entry and decode every image; non-zero exit listing each bad entry`

func runData(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dataUsage)
		return usagef("missing command (synth, clean, vocab or check)")
	}
	switch args[0] {
	case "synth":
		return dataSynth(args[1:], stdout, stderr)
	case "clean":
		return dataClean(args[1:], stdout, stderr)
	case "vocab":
		return dataVocab(args[1:], stdout, stderr)
	case "check":
		return dataCheck(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stderr, dataUsage)
		return flag.ErrHelp
	}
	fmt.Fprintln(stderr, dataUsage)
	return usagef("unknown command %q (want synth, clean, vocab or check)", args[0])
}

// dataParseFlags parses and rejects positional arguments.
func dataParseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func dataSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data synth", stderr)
	out := fs.String("out", "", "output directory (required)")
	preset := fs.String("preset", "default", "size preset: default (2069/296/590 studies, 128 px) or small (48/16/16, 64 px)")
	n := fs.Int("n", 0, "total number of studies (scales the preset's splits, keeping their ratio; 0: preset)")
	size := fs.Int("size", 0, "image side in pixels (0: preset)")
	seed := fs.Int64("seed", 1, "random seed; the dataset is a function of the seed and the flags")
	difficulty := fs.Float64("difficulty", -1, "0 easy .. 1 hard: finding size/contrast and noise (-1: preset, 0.3)")
	views := fs.Int("views", 0, "1 (frontal) or 2 (frontal and lateral; 0: preset)")
	if err := dataParseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("-out DIR is required")
	}
	var cfg toycxr.Config
	switch *preset {
	case "default":
		cfg = toycxr.DefaultConfig()
	case "small":
		cfg = toycxr.SmallConfig()
	default:
		return usagef("unknown -preset %q (want default or small)", *preset)
	}
	if *n < 0 {
		return usagef("-n must be >= 0, got %d", *n)
	}
	if *n > 0 {
		cfg = cfg.Scale(*n)
	}
	if *size != 0 {
		cfg.Size = *size
	}
	if *difficulty != -1 {
		cfg.Difficulty = *difficulty
	}
	if *views != 0 {
		cfg.Views = *views
	}
	cfg.Seed = *seed
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if err := toycxr.Generate(*out, cfg, stderr); err != nil {
		return err
	}
	stats, err := toycxr.Describe(*out)
	if err != nil {
		return err
	}
	// How visible each drawn finding is at the default model's input
	// (the cpu preset: resize, then centre crop).
	def := mrgmodel.Defaults()
	resize, _ := def[mrgmodel.ParamImageResize].(int)
	crop, _ := def[mrgmodel.ParamImageSize].(int)
	if stats.Visibility, err = toycxr.DescribeVisibility(*out, resize, crop); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n%s", data.AnnotationPath(*out), stats)
	return nil
}

// dataLoad parses -dataset and -ann.
func dataLoad(name string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (clean func(string) string, dataset string, ann *data.Annotation, err error) {
	fs := newFlagSet(name, stderr)
	ds := fs.String("dataset", "", "iu_xray, mimic_cxr or toycxr (required)")
	annPath := fs.String("ann", "", "annotation.json (required)")
	if extra != nil {
		extra(fs)
	}
	if err := dataParseFlags(fs, args); err != nil {
		return nil, "", nil, err
	}
	if *ds == "" || *annPath == "" {
		return nil, "", nil, usagef("-dataset and -ann are required")
	}
	clean, err = data.Cleaner(*ds)
	if err != nil {
		return nil, "", nil, usagef("%v", err)
	}
	ann, err = data.LoadAnnotation(*annPath)
	if err != nil {
		return nil, "", nil, err
	}
	return clean, *ds, ann, nil
}

func dataClean(args []string, stdout, stderr io.Writer) error {
	clean, _, ann, err := dataLoad("data clean", args, stderr, nil)
	if err != nil {
		return err
	}
	out := map[string]string{}
	for _, e := range ann.All() {
		out[e.ID] = clean(e.Report)
	}
	return writeJSON(stdout, out)
}

func dataVocab(args []string, stdout, stderr io.Writer) error {
	var threshold int
	var asJSON bool
	var outPath string
	clean, dataset, ann, err := dataLoad("data vocab", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&threshold, "threshold", 0, "minimum count of a word in the cleaned train reports (0: R2Gen's, 3 for IU X-Ray, 10 for MIMIC-CXR)")
		fs.BoolVar(&asJSON, "json", false, `print {"size": N, ...} as JSON`)
		fs.StringVar(&outPath, "out", "", "also save the vocabulary to this JSON file")
	})
	if err != nil {
		return err
	}
	defThreshold, maxLen, _ := data.DefaultThreshold(dataset)
	if threshold == 0 {
		threshold = defThreshold
	}
	if threshold < 1 {
		return usagef("-threshold must be >= 1, got %d", threshold)
	}
	cleaned := make([]string, len(ann.Train))
	for i, e := range ann.Train {
		cleaned[i] = clean(e.Report)
	}
	v := data.BuildVocab(cleaned, threshold)
	if outPath != "" {
		if err := v.Save(outPath); err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(stdout, map[string]any{
			"size": v.Size(), "dataset": dataset, "threshold": threshold, "max_len": maxLen,
			"train_reports": len(ann.Train), "words": v.Words(),
		})
	}
	fmt.Fprintf(stdout, "vocabulary size %d (including <unk>; ids 1..%d, 0 = pad/bos/eos) from %d train reports, threshold %d\n",
		v.Size(), v.Size(), len(ann.Train), threshold)
	return nil
}

func dataCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data check", stderr)
	imageLimitFlags(fs)
	annPath := fs.String("ann", "", "annotation.json (required)")
	images := fs.String("images", "", "image root directory (required)")
	if err := dataParseFlags(fs, args); err != nil {
		return err
	}
	if *annPath == "" || *images == "" {
		return usagef("-ann and -images are required")
	}
	res, err := data.Check(*annPath, *images)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d entries (train %d, val %d, test %d): %d OK, %d with problems; %d images decoded (%s)\n",
		*annPath, res.Total(), res.Entries["train"], res.Entries["val"], res.Entries["test"], res.Total()-res.Bad, res.Bad, res.Images, strings.Join(res.Sizes, ", "))
	if len(res.Problems) == 0 {
		fmt.Fprintln(stdout, "OK: no problems found")
		return nil
	}
	fmt.Fprintf(stdout, "%d problem(s):\n", len(res.Problems))
	for _, p := range res.Problems {
		fmt.Fprintln(stdout, "  "+p.Text)
	}
	return errors.Errorf("%d problem(s) in %s (listed above)", len(res.Problems), *annPath)
}
