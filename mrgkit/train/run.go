package train

import (
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/labeler"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// StepGraphFn builds a training step: inputs images, tokens, labels; outputs
// total loss, the named loss parts, then the learning rate.
type StepGraphFn func(scope *model.Scope, images, tokens, labels *Node) []*Node

// Options configures Train.
type Options struct {
	DataDir   string // holds annotation.json
	Dataset   string // toycxr, iu_xray or mimic_cxr (report cleaner and vocabulary defaults); "": toycxr, or the resumed run's
	ImageRoot string // default DataDir/images
	Preset    string // model/training preset ("": cpu; on resume: must be the run's or "")
	Set       string // "-set" overrides (on resume: only ResumableParams may change)
	Out       string // run directory
	Progress  io.Writer
	Backend   compute.Backend // nil: backend.Shared()
	MaxSteps  int             // stop (after checkpointing) once this many global steps are done; 0: full run
	Quiet     bool            // no per-step progress line
	// Force starts a new run in a non-empty Out that holds no run of this
	// kind to resume, replacing the kit's files there (never others).
	Force bool

	// Recipe is the kind of run (nil: Teacher{}); package distill brings
	// the student's.
	Recipe  Recipe
	Vocab   *data.Vocab // use this vocabulary (a student uses its teacher's)
	Teacher string      // recorded in run.json
	// InitEncoder is a GoMLX checkpoint directory (e.g. another run's best/,
	// or converted ImageNet weights) whose /model/encoder/... variables
	// initialise a new run's visual encoder. Ignored on resume.
	InitEncoder string
	// Observe, if set, receives the run's progress (run.Event).
	Observe run.Observer
}

func ones(n int) []float32 {
	o := make([]float32, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// setCooccurrence fills the knowledge graph's edge weights from the training labels.
func setCooccurrence(store *model.Store, entries []data.Entry) error {
	var pos [][]bool
	for _, e := range entries {
		var labels chexpert.Labels
		if e.Labels != nil {
			labels = *e.Labels
		} else {
			labels = labeler.Label(e.Report)
		}
		row := make([]bool, chexpert.NumObservations)
		for o, s := range labels {
			row[o] = s == chexpert.Positive
		}
		pos = append(pos, row)
	}
	return mrgmodel.SetEdgeWeights(store, mrgmodel.CooccurrenceWeights(pos))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	}
	return math.NaN()
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	// The last 50 steps: compile time of the first step does not count.
	w := xs
	if len(w) > 50 {
		w = w[len(w)-50:]
	}
	c := append([]float64(nil), w...)
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return c[len(c)/2]
}

func eta(secPerStep float64, steps int) string {
	d := time.Duration(secPerStep * float64(steps) * float64(time.Second))
	return d.Round(time.Second).String()
}

// EncoderPrefix is the store path of the visual encoder's variables.
const EncoderPrefix = "/" + mrgmodel.ScopeName + "/encoder/"

// InitEncoder copies the visual-encoder variables (EncoderPrefix) of the
// GoMLX checkpoint in dir into store, before the model graph is built, and
// returns how many it copied. The checkpoint is a directory written by GoMLX's
// checkpoint package (checkpoint-*.json + .bin), such as RUN/best or weights
// converted from another framework under the same variable names.
func InitEncoder(store *model.Store, dir string) (int, error) {
	src := model.NewStore()
	unlock, err := run.LockCheckpoints(filepath.Dir(dir), false)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if _, err := checkpoint.Load(src).Dir(dir).Immediate().Done(); err != nil {
		return 0, errors.Wrapf(err, "reading encoder weights from %s", dir)
	}
	// A checkpoint that records its encoder (mrg weights import, any run)
	// must match this run's: same-named variables of a shallower ResNet
	// would otherwise initialise only part of the encoder.
	want, have := mrgmodel.ReadConfig(store), mrgmodel.ReadConfig(src)
	for _, k := range []string{mrgmodel.ParamEncArch, mrgmodel.ParamEncDepth} {
		if _, ok := src.RootScope().GetParam(k); !ok {
			continue
		}
		if want.EncArch != have.EncArch || want.EncDepth != have.EncDepth {
			return 0, errors.Errorf("%s holds an encoder with %s=%s %s=%d, this run's has %s=%s %s=%d: -set \"%s=%s;%s=%d\" or import the matching depth",
				dir, mrgmodel.ParamEncArch, have.EncArch, mrgmodel.ParamEncDepth, have.EncDepth,
				mrgmodel.ParamEncArch, want.EncArch, mrgmodel.ParamEncDepth, want.EncDepth,
				mrgmodel.ParamEncArch, have.EncArch, mrgmodel.ParamEncDepth, have.EncDepth)
		}
	}
	n := 0
	for v := range src.IterVariables() {
		p := v.Path()
		if !strings.HasPrefix(p, EncoderPrefix) {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return 0, err
		}
		scope, name := model.SplitPath(p)
		if _, err := store.Scope(scope).CreateVariable(name, value); err != nil {
			return 0, errors.Wrapf(err, "encoder weight %s", p)
		}
		n++
	}
	if n == 0 {
		return 0, errors.Errorf("%s has no variables under %s", dir, EncoderPrefix)
	}
	return n, nil
}

// SelectionScore evaluates the model-selection metric: one validation
// metric name, or several joined by "+" (summed), e.g. "BLEU_4+ce_micro_f1".
func SelectionScore(metrics map[string]float64, expr string) (float64, error) {
	var sum float64
	for _, k := range strings.Split(expr, "+") {
		v, ok := metrics[strings.TrimSpace(k)]
		if !ok {
			return 0, errors.Errorf("%s=%q: %q is not a validation metric", ParamSelectMetric, expr, k)
		}
		sum += v
	}
	return sum, nil
}
