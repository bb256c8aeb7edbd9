package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
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

	// Hooks for phase 2 (package distill).
	Prepare     func(store *model.Store, vocab *data.Vocab) error // after configuration, before compiling
	StepGraph   StepGraphFn                                       // default: TeacherStepGraph(AdamW{})
	LossNames   []string                                          // names of the loss parts; default lm_loss, cls_loss
	Kind        string                                            // "teacher" (default) or "student", recorded in run.json
	Vocab       *data.Vocab                                       // use this vocabulary (a student uses its teacher's)
	ExtraParams map[string]any                                    // extra hyperparameters (with defaults) that -set may change
	Teacher     string                                            // recorded in run.json
	// InitEncoder is a GoMLX checkpoint directory (e.g. another run's best/,
	// or converted ImageNet weights) whose /model/encoder/... variables
	// initialise a new run's visual encoder. Ignored on resume.
	InitEncoder string
}

// Summary is what Train returns.
type Summary struct {
	Dir        string
	Steps      int
	BestEpoch  int
	BestScore  float64
	BestValues map[string]float64
	Seconds    float64
	SecPerStep float64
	Stopped    bool // stopped early by MaxSteps
}

// Train runs (or resumes) a training run into opts.Out.
func Train(opts Options) (sum *Summary, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = backend.WrapErr(errors.Errorf("%v", r))
		}
	}()
	if opts.Out == "" {
		return nil, errors.New("no run directory given (-out)")
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	be := opts.Backend
	if be == nil {
		if be, err = backend.Shared(); err != nil {
			return nil, err
		}
	}
	if opts.Kind == "" {
		opts.Kind = "teacher"
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, errors.Wrapf(err, "creating run directory")
	}
	lock, err := run.LockRun(opts.Out)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	rd, err := run.Prepare(opts.Out, opts.Kind, opts.Force)
	if err != nil {
		return nil, err
	}
	if rd.Resume && rd.Info != nil && opts.ImageRoot == "" && rd.Info.ImageRoot != "" &&
		(opts.DataDir == "" || rd.Info.DataDir == "" || run.SameDir(opts.DataDir, run.ResolveRunPath(opts.Out, rd.Info.DataDir))) {
		opts.ImageRoot = run.ResolveRunPath(opts.Out, rd.Info.ImageRoot) // a resumed run keeps its images
	}
	if opts.Dataset == "" { // a resumed run keeps its own, a new one is toycxr
		if rd.Resume && rd.Info != nil && rd.Info.Dataset != "" {
			opts.Dataset = rd.Info.Dataset
		} else {
			opts.Dataset = "toycxr"
		}
	}

	// Configure or resume.
	var store *model.Store
	var state *run.State
	var vocab *data.Vocab
	ckpt := run.Dir(opts.Out).Ckpt()
	resuming := rd.Resume
	runSet := opts.Set
	if resuming {
		store, state, err = run.LoadCheckpoint(ckpt)
		if err != nil {
			return nil, err
		}
		applied, err := applyResume(store, rd.Info, opts)
		if err != nil {
			return nil, err
		}
		runSet = applied
		if rd.Info != nil {
			runSet = JoinSets(rd.Info.Set, applied)
		}
		if vocab, err = data.LoadVocab(run.Dir(opts.Out).Vocab()); err != nil {
			return nil, errors.Wrap(err, "resuming: reading the run's vocabulary")
		}
		fmt.Fprintf(opts.Progress, "resuming %s from step %d (epoch %d, batch %d)\n", opts.Out, state.Step, state.Epoch, state.Batch)
		if applied != "" {
			fmt.Fprintf(opts.Progress, "resuming with %s\n", applied)
		}
	} else {
		store = model.NewStore()
		if opts.Preset == "" {
			opts.Preset = "cpu"
		}
		for k, v := range opts.ExtraParams {
			store.RootScope().SetParam(k, v)
		}
		if err := Configure(store, opts.Preset, opts.Set); err != nil {
			return nil, err
		}
		state = &run.State{Epoch: 1, BestScore: -1} // every selection metric is >= 0
		vocab = opts.Vocab
	}
	if err := mrgmodel.CheckBackend(mrgmodel.ReadConfig(store), be.Name()); err != nil {
		return nil, err
	}
	threshold := model.GetParamOr(store.RootScope(), ParamVocabThreshold, 0)
	d, err := run.LoadData(opts.DataDir, opts.Dataset, opts.ImageRoot, vocab, threshold)
	if err != nil {
		return nil, err
	}
	root := store.RootScope()
	if !resuming {
		root.SetParam(mrgmodel.ParamVocabSize, d.Vocab.Size())
		if err := d.Vocab.Save(run.Dir(opts.Out).Vocab()); err != nil {
			return nil, err
		}
		_ = os.Remove(run.Dir(opts.Out).Log())
		seed := int64(model.GetParamOr(root, run.ParamSeed, 42))
		if err := store.SetRNGStateFromSeed(seed); err != nil {
			return nil, err
		}
	}
	c := mrgmodel.ReadConfig(store)
	if c.VocabSize != d.Vocab.Size() {
		return nil, errors.Errorf("run vocabulary has %d words but the model was built for %d", d.Vocab.Size(), c.VocabSize)
	}
	info := run.Info{Kind: opts.Kind, DataDir: run.AbsPath(opts.DataDir), Dataset: opts.Dataset, ImageRoot: run.AbsPath(d.ImageRoot),
		Preset: model.GetParamOr(root, mrgmodel.ParamPreset, ""), Set: runSet, Backend: be.Name(), Teacher: run.AbsPath(opts.Teacher)}
	if err := atomicfile.WriteJSON(run.Dir(opts.Out).RunJSON(), info); err != nil {
		return nil, err
	}

	trainLoader, err := d.Loader(store, "train", true)
	if err != nil {
		return nil, err
	}
	valLoader, err := d.Loader(store, "val", false)
	if err != nil {
		return nil, err
	}
	epochs := model.GetParamOr(root, ParamEpochs, 8)
	stepsPerEpoch := trainLoader.Len()
	if stepsPerEpoch == 0 {
		return nil, errors.New("the train split gives no full batch: lower batch_size")
	}
	root.SetParam(ParamTotalSteps, epochs*stepsPerEpoch)
	if !resuming && c.UseGraph && c.GraphCooccur {
		if err := setCooccurrence(store, d.Ann.Train); err != nil {
			return nil, err
		}
	}
	if !resuming && opts.InitEncoder != "" {
		n, err := InitEncoder(store, opts.InitEncoder)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(opts.Progress, "initialised %d encoder variables from %s\n", n, opts.InitEncoder)
	}
	if opts.Prepare != nil {
		if err := opts.Prepare(store, d.Vocab); err != nil {
			return nil, err
		}
	}
	stepFn := opts.StepGraph
	if stepFn == nil {
		stepFn = TeacherStepGraph(AdamW{})
	}
	names := opts.LossNames
	if names == nil {
		names = []string{"lm_loss", "cls_loss"}
	}
	stepExec, err := model.NewExec(be, store, (func(*model.Scope, *Node, *Node, *Node) []*Node)(stepFn))
	if err != nil {
		return nil, err
	}
	if c.UsePrompts && len(state.BaseProb) == c.NumLabels {
		if err := mrgmodel.SetBaseProb(store, state.BaseProb); err != nil {
			return nil, err
		}
	}

	logW, err := run.OpenLog(run.Dir(opts.Out).Log(), state.LogOffset, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer logW.Close()

	sum = &Summary{Dir: opts.Out}
	start := time.Now()
	ckptEvery := model.GetParamOr(root, ParamCheckpointEvery, 200)
	decode := ValidationDecode(store)
	selectMetric := model.GetParamOr(root, ParamSelectMetric, "BLEU_4")
	var stepTimes []float64

	save := func() error {
		if err := logW.Flush(); err != nil {
			return err
		}
		state.LogOffset = logW.Offset()
		return run.SaveCheckpoint(store, ckpt, state)
	}
	fmt.Fprintf(opts.Progress, "training %s: preset %s, %d epochs x %d steps (batch %d), backend %s\n", opts.Out,
		info.Preset, epochs, stepsPerEpoch, model.GetParamOr(root, run.ParamBatchSize, 16), be.Name())

	for ; state.Epoch <= epochs; state.Epoch, state.Batch = state.Epoch+1, 0 {
		epochStart := time.Now()
		bi := 0
		for batch, err := range trainLoader.Epoch(state.Epoch) {
			if err != nil {
				return nil, err
			}
			if bi < state.Batch { // resuming inside an epoch
				bi++
				batch.Finalize()
				continue
			}
			t0 := time.Now()
			outs, err := stepExec.Exec(batch.Images, batch.Tokens, batch.Labels)
			batch.Finalize()
			if err != nil {
				return nil, backend.WrapErr(err)
			}
			vals := make([]float64, len(outs))
			for i, t := range outs {
				vals[i] = toFloat(t.Value())
				_ = t.FinalizeAll()
			}
			dt := time.Since(t0).Seconds()
			stepTimes = append(stepTimes, dt)
			if math.IsNaN(vals[0]) || math.IsInf(vals[0], 0) {
				return nil, nanError(vals[0], state, ckpt, model.GetParamOr(root, ParamLR, 0.0))
			}
			bi++
			state.Batch = bi
			state.Step++
			rec := run.Record{Kind: run.KindStep, Step: state.Step, Epoch: state.Epoch,
				Values: map[string]float64{"loss": vals[0], "sec_per_step": round(dt, 4), "lr": vals[len(vals)-1]}}
			for i, n := range names {
				rec.Values[n] = vals[1+i]
			}
			logW.Write(rec)
			if !opts.Quiet {
				fmt.Fprintf(opts.Progress, "\r  epoch %d/%d  step %4d/%d  loss %.4f  %.3f s/step  ETA %s   ", state.Epoch, epochs, bi, stepsPerEpoch,
					vals[0], median(stepTimes), eta(median(stepTimes), (epochs-state.Epoch)*stepsPerEpoch+stepsPerEpoch-bi))
			}
			if ckptEvery > 0 && state.Step%ckptEvery == 0 {
				if err := save(); err != nil {
					return nil, err
				}
			}
			if opts.MaxSteps > 0 && state.Step >= opts.MaxSteps {
				if err := save(); err != nil {
					return nil, err
				}
				sum.Stopped = true
				sum.Steps = state.Step
				fmt.Fprintf(opts.Progress, "\nstopped at step %d (checkpoint saved in %s)\n", state.Step, ckpt)
				return sum, nil
			}
		}
		if !opts.Quiet {
			fmt.Fprintln(opts.Progress)
		}
		// Validation: calibrate the adaptive logit adjustment on the whole
		// validation split (encoder and diagnosis only), then decode and
		// score with that calibration, so the best checkpoint keeps the
		// base probabilities it was validated with. The generator is rebuilt
		// each time: an Exec compiled earlier was seen to keep reading the
		// variable values of its first call.
		gen, err := mrgmodel.NewGenerator(be, store)
		if err != nil {
			return nil, err
		}
		if c.UsePrompts {
			diags, err := eval.Diagnose(gen, valLoader, 0)
			if err != nil {
				return nil, errors.Wrap(err, "validation")
			}
			prev := state.BaseProb
			if len(prev) != c.NumLabels {
				prev = ones(c.NumLabels)
			}
			if state.BaseProb, err = eval.Calibrate(model.GetParamOr(root, ParamLogitAdjust, eval.AdjustF1), diags, prev); err != nil {
				return nil, err
			}
			if err := mrgmodel.SetBaseProb(store, state.BaseProb); err != nil {
				return nil, err
			}
			if gen, err = mrgmodel.NewGenerator(be, store); err != nil {
				return nil, err
			}
		}
		res, err := eval.Evaluate(gen, valLoader, d.Vocab, d.Refs, eval.Options{Split: "val", Decode: decode,
			Limit: model.GetParamOr(root, ParamValLimit, 0), NoMETEOR: true})
		if err != nil {
			return nil, errors.Wrap(err, "validation")
		}
		rec := run.Record{Kind: run.KindEpoch, Epoch: state.Epoch, Step: state.Step, Split: "val",
			Values: map[string]float64{"epoch_seconds": round(time.Since(epochStart).Seconds(), 2)}}
		for k, v := range res.Flat {
			rec.Values[k] = v
		}
		logW.Write(rec)
		score, err := SelectionScore(res.Flat, selectMetric)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(opts.Progress, "  epoch %d val: BLEU-4 %.4f  ROUGE-L %.4f  CIDEr %.4f  CE micro-F1 %.4f  (%.1fs)\n",
			state.Epoch, res.Flat["BLEU_4"], res.Flat["ROUGE_L"], res.Flat["CIDEr"], res.Flat["ce_micro_f1"], res.Seconds)
		state.Batch = stepsPerEpoch
		if score > state.BestScore {
			state.BestScore, state.BestEpoch, state.BestValues = score, state.Epoch, res.Flat
			if err := logW.Flush(); err != nil {
				return nil, err
			}
			state.LogOffset = logW.Offset()
			if err := run.SaveCheckpoint(store, run.Dir(opts.Out).Best(), state); err != nil {
				return nil, err
			}
		}
		// The next epoch starts at batch 0.
		st := *state
		state.Epoch++
		state.Batch = 0
		if err := save(); err != nil {
			return nil, err
		}
		*state = st
	}
	sum.Steps = state.Step
	sum.BestEpoch, sum.BestScore, sum.BestValues = state.BestEpoch, state.BestScore, state.BestValues
	sum.Seconds = time.Since(start).Seconds()
	sum.SecPerStep = median(stepTimes)
	fmt.Fprintf(opts.Progress, "done: best epoch %d (%s %.4f), %.3f s/step, %.0fs\n", sum.BestEpoch, selectMetric, sum.BestScore, sum.SecPerStep, sum.Seconds)
	return sum, nil
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
