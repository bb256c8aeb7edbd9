package run

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

// EvalOptions configures Evaluate.
type EvalOptions struct {
	Split     string // default "test"
	Decode    mrgmodel.DecodeOptions
	DataDir   string // default: the run's own
	ImageRoot string // default: the run's own
	Progress  io.Writer
	Backend   compute.Backend
	Out       string // directory for reports.json and metrics.json; default RUN/eval_<split> (RUN/eval_<split>_truth with truth prompts)
	Prompts   string // eval.PromptsPredicted (default) or eval.PromptsTruth (oracle prompts)
}

// EvalFiles are written by Evaluate.
const (
	ReportsFile = "reports.json"
	MetricsFile = "metrics.json"
)

// Evaluate generates and scores a split with a run's best checkpoint and
// writes RUN/eval_<split>/{reports,metrics}.json atomically.
func Evaluate(Prepared string, opts EvalOptions) (*eval.Result, error) {
	if opts.Split == "" {
		opts.Split = "test"
	}
	if opts.Decode == (mrgmodel.DecodeOptions{}) { // unset: the reference settings; -beam 0 is refused by Validate
		opts.Decode = mrgmodel.DefaultDecodeOptions()
	}
	store, vocab, info, err := Load(Prepared)
	if err != nil {
		return nil, err
	}
	if err := opts.Decode.Validate(mrgmodel.ReadConfig(store)); err != nil {
		return nil, err
	}
	dataDir, imageRoot := info.DataDir, info.ImageRoot
	if opts.DataDir != "" {
		dataDir, imageRoot = opts.DataDir, ""
	}
	if opts.ImageRoot != "" {
		imageRoot = opts.ImageRoot
	}
	if dataDir == "" {
		return nil, errors.Errorf("%s/%s does not say which data the run used: pass -data", Prepared, RunInfoFile)
	}
	be := opts.Backend
	if be == nil {
		if be, err = backend.Shared(); err != nil {
			return nil, err
		}
	}
	d, err := LoadData(dataDir, info.Dataset, imageRoot, vocab, 0)
	if err != nil {
		return nil, err
	}
	loader, err := d.Loader(store, opts.Split, false)
	if err != nil {
		return nil, err
	}
	gen, err := mrgmodel.NewGenerator(be, store)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	res, err := eval.Evaluate(gen, loader, vocab, d.Refs, eval.Options{Split: opts.Split, Decode: opts.Decode, Progress: opts.Progress, Prompts: opts.Prompts})
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(Prepared, "eval_"+opts.Split)
		if res.Prompts == eval.PromptsTruth {
			out += "_truth"
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteJSON(filepath.Join(out, ReportsFile), res.Studies); err != nil {
		return nil, err
	}
	m := map[string]any{"split": opts.Split, "beam": opts.Decode.Beam, "decode": opts.Decode, "prompts": res.Prompts, "metrics": res.Flat, "ce": res.CE,
		"faithfulness": res.Faithfulness, "studies": len(res.Studies), "seconds": res.Seconds}
	if err := atomicfile.WriteJSON(filepath.Join(out, MetricsFile), m); err != nil {
		return nil, err
	}
	return res, nil
}

// GenerateResult is the output of GenerateStudy.
type GenerateResult struct {
	Report string                    `json:"report"`
	Labels map[string]chexpert.State `json:"labels"`
	// PositiveP is the diagnosis branch's probability of "positive".
	PositiveP map[string]float32 `json:"positive_probability"`
	// Attention is the patch→concept attention [N*K] (nil without fusion).
	Attention []float32 `json:"-"`
}

// GenerateStudy writes a report for one study's image files (frontal first).
// A two-view model given one image uses it for both views.
func GenerateStudy(Prepared string, images []string, dec mrgmodel.DecodeOptions, be compute.Backend, warn io.Writer) (*GenerateResult, error) {
	if len(images) == 0 {
		return nil, errors.New("no image given (-image a.png [-image b.png])")
	}
	store, vocab, _, err := Load(Prepared)
	if err != nil {
		return nil, err
	}
	c := mrgmodel.ReadConfig(store)
	if err := dec.Validate(c); err != nil {
		return nil, err
	}
	if len(images) > c.Views {
		return nil, errors.Errorf("the model reads %d view(s) but %d images were given", c.Views, len(images))
	}
	paths := make([]string, c.Views)
	for v := range paths {
		if v < len(images) {
			abs, err := filepath.Abs(images[v])
			if err != nil {
				return nil, err
			}
			if _, err := data.DecodeImage(abs); err != nil {
				return nil, err
			}
			paths[v] = abs
		} else {
			paths[v] = paths[0]
			if warn != nil {
				fmt.Fprintf(warn, "note: the model reads %d views; using %s for view %d too\n", c.Views, images[0], v+1)
			}
		}
	}
	if be == nil {
		if be, err = backend.Shared(); err != nil {
			return nil, err
		}
	}
	loader, err := data.NewLoader([]data.Entry{{ID: "study", ImagePaths: paths, Split: "test"}}, "", vocab, func(s string) string { return s },
		data.LoaderConfig{BatchSize: 1, MaxLen: c.MaxLen, Views: c.Views,
			Transform: data.Transform{Resize: c.ImageResize, Crop: c.ImageSize, Channels: c.Channels}})
	if err != nil {
		return nil, err
	}
	batch, err := loader.Batch(0, 0)
	if err != nil {
		return nil, err
	}
	defer batch.Finalize()
	gen, err := mrgmodel.NewGenerator(be, store)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	preds, err := gen.Generate(batch.Images, dec)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	p := preds[0]
	res := &GenerateResult{Report: vocab.Decode(p.Words), Labels: map[string]chexpert.State{}, PositiveP: map[string]float32{}, Attention: p.FusionAttn}
	if c.UsePrompts {
		for o := 0; o < c.NumLabels; o++ {
			res.Labels[chexpert.Observations[o]] = p.Labels[o]
			res.PositiveP[chexpert.Observations[o]] = p.PositiveP[o]
		}
	}
	return res, nil
}
