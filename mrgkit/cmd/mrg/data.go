package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

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
	ann, err := data.LoadAnnotation(*annPath)
	// Problems sort by split, entry index and image.
	type problem struct {
		split, index, image int
		text                string
	}
	splitOrder := map[string]int{"train": 0, "val": 1, "test": 2}
	var problems []problem
	var verr *data.ValidationError
	switch {
	case errors.As(err, &verr):
		for _, p := range verr.Problems {
			problems = append(problems, problem{splitOrder[p.Split], p.Index, -1, p.String()})
		}
	case err != nil:
		return err
	}
	// Decode every image of the valid entries in parallel.
	type job struct{ e data.Entry }
	var mu sync.Mutex
	jobs := make(chan job)
	var wg sync.WaitGroup
	nImages := 0
	sizes := map[string]int{}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for k, p := range j.e.ImagePaths {
					img, err := data.DecodeImage(filepath.Join(*images, p))
					mu.Lock()
					if err != nil {
						problems = append(problems, problem{splitOrder[j.e.Split], j.e.Index, k,
							fmt.Sprintf("%s: %s[%d] (id %q): image_path[%d]: %v", *annPath, j.e.Split, j.e.Index, j.e.ID, k, errors.Cause(err))})
					} else {
						nImages++
						sizes[fmt.Sprintf("%dx%d", img.W, img.H)]++
					}
					mu.Unlock()
				}
			}
		}()
	}
	counts := map[string]int{}
	for _, split := range data.Splits {
		es, _ := ann.Split(split)
		counts[split] = len(es)
		for _, e := range es {
			jobs <- job{e}
		}
	}
	close(jobs)
	wg.Wait()
	sort.Slice(problems, func(a, b int) bool {
		p, q := problems[a], problems[b]
		if p.split != q.split {
			return p.split < q.split
		}
		if p.index != q.index {
			return p.index < q.index
		}
		return p.image < q.image
	})
	var sz []string
	for s, c := range sizes {
		sz = append(sz, fmt.Sprintf("%s x%d", s, c))
	}
	sort.Strings(sz)
	bad := map[[2]int]bool{}
	for _, p := range problems {
		if p.image < 0 { // entries rejected by validation are not in the annotation
			counts[data.Splits[p.split]]++
		}
		bad[[2]int{p.split, p.index}] = true
	}
	total := counts["train"] + counts["val"] + counts["test"]
	fmt.Fprintf(stdout, "%s: %d entries (train %d, val %d, test %d): %d OK, %d with problems; %d images decoded (%s)\n",
		*annPath, total, counts["train"], counts["val"], counts["test"], total-len(bad), len(bad), nImages, strings.Join(sz, ", "))
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "OK: no problems found")
		return nil
	}
	fmt.Fprintf(stdout, "%d problem(s):\n", len(problems))
	for _, p := range problems {
		fmt.Fprintln(stdout, "  "+p.text)
	}
	return errors.Errorf("%d problem(s) in %s (listed above)", len(problems), *annPath)
}
