package run

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
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

// ReadReports reads the per-study results an evaluation saved (a
// ReportsFile, e.g. Dir.Reports). A file that cannot be read gives the
// os error (os.IsNotExist tells a missing one); one that is not a list of
// studies is an error naming it.
func ReadReports(path string) ([]eval.Study, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var studies []eval.Study
	if err := json.Unmarshal(b, &studies); err != nil {
		return nil, errors.Errorf("%s: want the reports.json of `mrg eval` (a list of studies): %v", path, err)
	}
	return studies, nil
}

// Evaluate generates and scores a split with a run's best checkpoint and
// writes RUN/eval_<split>/{reports,metrics}.json atomically.
func Evaluate(runDir string, opts EvalOptions) (*eval.Result, error) {
	if opts.Split == "" {
		opts.Split = "test"
	}
	if opts.Decode == (mrgmodel.DecodeOptions{}) { // unset: the reference settings; -beam 0 is refused by Validate
		opts.Decode = mrgmodel.DefaultDecodeOptions()
	}
	store, vocab, info, err := Load(runDir)
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
		return nil, errors.Errorf("%s/%s does not say which data the run used: pass -data", runDir, RunInfoFile)
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
		out = Dir(runDir).Eval(opts.Split, res.Prompts)
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
	// Images are the decoded images of the views, frontal first (a figure
	// overlays the attention on them without decoding them again).
	Images []*data.Plane `json:"-"`
}

// Model is a run loaded for inference: its best (or latest) checkpoint,
// vocabulary and run.json.
type Model struct {
	Dir    string
	Store  *model.Store
	Vocab  *data.Vocab
	Info   *Info
	Config mrgmodel.Config
}

// LoadModel loads a run for inference (see Load).
func LoadModel(dir string) (*Model, error) {
	store, vocab, info, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return &Model{Dir: dir, Store: store, Vocab: vocab, Info: info, Config: mrgmodel.ReadConfig(store)}, nil
}

// GenerateStudy writes a report for one study's image files (frontal first)
// with a run's model. A two-view model given one image uses it for both
// views.
func GenerateStudy(runDir string, images []string, dec mrgmodel.DecodeOptions, be compute.Backend, warn io.Writer) (*GenerateResult, error) {
	m, err := LoadModel(runDir)
	if err != nil {
		return nil, err
	}
	return m.GenerateStudy(images, dec, be, warn)
}

// GenerateStudy is the package function on a loaded model. Each image is
// decoded once and goes through the evaluation transform (Transform.Apply,
// as the loader's validation batches do).
func (m *Model) GenerateStudy(images []string, dec mrgmodel.DecodeOptions, be compute.Backend, warn io.Writer) (*GenerateResult, error) {
	if len(images) == 0 {
		return nil, errors.New("no image given (-image a.png [-image b.png])")
	}
	c := m.Config
	if err := dec.Validate(c); err != nil {
		return nil, err
	}
	if len(images) > c.Views {
		return nil, errors.Errorf("the model reads %d view(s) but %d images were given", c.Views, len(images))
	}
	tr := data.Transform{Resize: c.ImageResize, Crop: c.ImageSize, Channels: c.Channels}
	s, ch := tr.Size(), tr.NumChannels()
	pixels := make([]float32, 0, c.Views*s*s*ch)
	planes := make([]*data.Plane, c.Views)
	for v := range planes {
		if v >= len(images) {
			planes[v] = planes[0]
			if warn != nil {
				fmt.Fprintf(warn, "note: the model reads %d views; using %s for view %d too\n", c.Views, images[0], v+1)
			}
		} else {
			p, err := data.DecodeImage(images[v])
			if err != nil {
				return nil, err
			}
			planes[v] = p
		}
		x, err := tr.Apply(planes[v], nil)
		if err != nil {
			return nil, errors.Wrapf(err, "%s", images[min(v, len(images)-1)])
		}
		pixels = append(pixels, x...)
	}
	var err error
	if be == nil {
		if be, err = backend.Shared(); err != nil {
			return nil, err
		}
	}
	imgs := tensors.FromFlatDataAndDimensions(pixels, 1, c.Views, s, s, ch)
	defer imgs.FinalizeAll()
	gen, err := mrgmodel.NewGenerator(be, m.Store)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	preds, err := gen.Generate(imgs, dec)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	p := preds[0]
	res := &GenerateResult{Report: m.Vocab.Decode(p.Words), Labels: map[string]chexpert.State{}, PositiveP: map[string]float32{},
		Attention: p.FusionAttn, Images: planes}
	if c.UsePrompts {
		for o := 0; o < c.NumLabels; o++ {
			res.Labels[chexpert.Observations[o]] = p.Labels[o]
			res.PositiveP[chexpert.Observations[o]] = p.PositiveP[o]
		}
	}
	return res, nil
}
