package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// Recipe is what a kind of run brings to the training loop: the teacher's
// (the default) or, in package distill, the student's.
type Recipe interface {
	// Kind is recorded in run.json: "teacher" or "student". A run resumes
	// only with a recipe of its own kind.
	Kind() string
	// Params are the hparams owners of the recipe's own hyperparameters
	// (their defaults are set before the preset and -set; nil: none).
	Params() []string
	// Prepare runs after configuration, before the step is compiled.
	Prepare(store *model.Store, vocab *data.Vocab) error
	// StepGraph is the training step: total loss, the LossNames parts, lr.
	StepGraph() StepGraphFn
	LossNames() []string
}

// Teacher is the phase-1 recipe: L = L_lm + cls_weight*L_cls with AdamW.
type Teacher struct{}

func (Teacher) Kind() string                            { return "teacher" }
func (Teacher) Params() []string                        { return nil }
func (Teacher) Prepare(*model.Store, *data.Vocab) error { return nil }
func (Teacher) StepGraph() StepGraphFn                  { return TeacherStepGraph(AdamW{}) }
func (Teacher) LossNames() []string                     { return []string{"lm_loss", "cls_loss"} }

// trainer is one training run between its phases: setup (openRun,
// configure, build), epoch, validate, selectAndSave.
type trainer struct {
	opts         Options
	recipe       Recipe
	be           compute.Backend
	dir          run.Dir
	store        *model.Store
	state        *run.State
	data         *run.Data
	c            mrgmodel.Config
	info         run.Info
	train, val   *data.Loader
	step         *model.Exec
	log          *run.LogWriter
	observe      func(run.Record) // Options.Observe, if set
	epochs       int
	perEpoch     int
	ckptEvery    int
	selectMetric string
	stepTimes    []float64
}

// Train runs (or resumes) a training run into opts.Out.
func Train(opts Options) (sum *run.Summary, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = backend.WrapErr(errors.Errorf("%v", r))
		}
	}()
	t, prep, unlock, err := openRun(opts)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := t.configure(prep); err != nil {
		return nil, err
	}
	if err := t.build(prep.Resume); err != nil {
		return nil, err
	}
	defer t.log.Close()
	return t.loop()
}

// openRun is the first phase of setup: it checks the options, locks and
// tidies the run directory and fills what a resumed run keeps of its own.
func openRun(opts Options) (*trainer, *run.Prepared, func(), error) {
	if opts.Out == "" {
		return nil, nil, nil, errors.New("no run directory given (-out)")
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	t := &trainer{opts: opts, recipe: opts.Recipe, be: opts.Backend, dir: run.Dir(opts.Out)}
	if t.recipe == nil {
		t.recipe = Teacher{}
	}
	if t.be == nil {
		var err error
		if t.be, err = backend.Shared(); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, nil, nil, errors.Wrapf(err, "creating run directory")
	}
	lock, err := run.LockRun(opts.Out)
	if err != nil {
		return nil, nil, nil, err
	}
	rd, err := run.Prepare(opts.Out, t.recipe.Kind(), opts.Force)
	if err != nil {
		lock.Unlock()
		return nil, nil, nil, err
	}
	o := &t.opts
	if rd.Resume && rd.Info != nil && o.ImageRoot == "" && rd.Info.ImageRoot != "" &&
		(o.DataDir == "" || rd.Info.DataDir == "" || run.SameDir(o.DataDir, run.ResolveRunPath(o.Out, rd.Info.DataDir))) {
		o.ImageRoot = run.ResolveRunPath(o.Out, rd.Info.ImageRoot) // a resumed run keeps its images
	}
	if o.Dataset == "" { // a resumed run keeps its own, a new one is toycxr
		if rd.Resume && rd.Info != nil && rd.Info.Dataset != "" {
			o.Dataset = rd.Info.Dataset
		} else {
			o.Dataset = "toycxr"
		}
	}
	return t, rd, lock.Unlock, nil
}

// configure is the second phase of setup: a new run's store from the preset
// and -set, or a resumed run's from its checkpoint with the -set keys it may
// change (applyResume). It loads the data and writes vocab.json and run.json.
func (t *trainer) configure(rd *run.Prepared) error {
	opts := t.opts
	var vocab *data.Vocab
	runSet := opts.Set
	var err error
	if rd.Resume {
		if t.store, t.state, err = run.LoadCheckpoint(t.dir.Ckpt()); err != nil {
			return err
		}
		applied, err := applyResume(t.store, rd.Info, opts)
		if err != nil {
			return err
		}
		runSet = applied
		if rd.Info != nil {
			runSet = JoinSets(rd.Info.Set, applied)
		}
		if vocab, err = data.LoadVocab(t.dir.Vocab()); err != nil {
			return errors.Wrap(err, "resuming: reading the run's vocabulary")
		}
		if t.finished() {
			fmt.Fprintf(opts.Progress, "%s is finished (step %d, %d epochs): nothing to train\n", opts.Out, t.state.Step, hparams.Int(t.store.RootScope(), ParamEpochs))
		} else {
			fmt.Fprintf(opts.Progress, "resuming %s from step %d (epoch %d, batch %d)\n", opts.Out, t.state.Step, t.state.Epoch, t.state.Batch)
		}
		if applied != "" {
			fmt.Fprintf(opts.Progress, "resuming with %s\n", applied)
		}
	} else {
		t.store = model.NewStore()
		if opts.Preset == "" {
			opts.Preset = "cpu"
		}
		hparams.SetDefaults(t.store, t.recipe.Params()...)
		if err := Configure(t.store, opts.Preset, opts.Set); err != nil {
			return err
		}
		t.state = &run.State{Epoch: 1, BestScore: -1} // every selection metric is >= 0
		vocab = opts.Vocab
	}
	if err := mrgmodel.CheckBackend(mrgmodel.ReadConfig(t.store), t.be.Name()); err != nil {
		return err
	}
	root := t.store.RootScope()
	if t.data, err = run.LoadData(opts.DataDir, opts.Dataset, opts.ImageRoot, vocab, hparams.Int(root, ParamVocabThreshold)); err != nil {
		return err
	}
	if !rd.Resume {
		if opts.Vocab == nil && hparams.String(root, run.ParamReportOrder) == "planned" {
			t.data.Vocab = t.data.Vocab.With(chexpert.PlanWords()...) // the decoder writes them
		}
		root.SetParam(mrgmodel.ParamVocabSize, t.data.Vocab.Size())
		if err := t.data.Vocab.Save(t.dir.Vocab()); err != nil {
			return err
		}
		_ = os.Remove(t.dir.Log())
		if err := t.store.SetRNGStateFromSeed(int64(hparams.Int(root, run.ParamSeed))); err != nil {
			return err
		}
	}
	t.c = mrgmodel.ReadConfig(t.store)
	if t.c.VocabSize != t.data.Vocab.Size() {
		return errors.Errorf("run vocabulary has %d words but the model was built for %d", t.data.Vocab.Size(), t.c.VocabSize)
	}
	t.info = run.Info{Kind: t.recipe.Kind(), DataDir: run.AbsPath(opts.DataDir), Dataset: opts.Dataset, ImageRoot: run.AbsPath(t.data.ImageRoot),
		Preset: hparams.String(root, mrgmodel.ParamPreset), Set: runSet, Backend: t.be.Name(), Teacher: run.AbsPath(opts.Teacher)}
	return atomicfile.WriteJSON(t.dir.RunJSON(), t.info)
}

// build is the last phase of setup: loaders, a new run's fixed variables
// (co-occurrence edges, initial encoder), the recipe's Prepare, the compiled
// step and the log opened at the checkpoint's offset.
func (t *trainer) build(resuming bool) error {
	var err error
	if t.train, err = t.data.Loader(t.store, "train", true); err != nil {
		return err
	}
	if t.val, err = t.data.Loader(t.store, "val", false); err != nil {
		return err
	}
	root := t.store.RootScope()
	t.epochs = hparams.Int(root, ParamEpochs)
	if t.perEpoch = t.train.Len(); t.perEpoch == 0 {
		return errors.New("the train split gives no full batch: lower batch_size")
	}
	root.SetParam(ParamTotalSteps, t.epochs*t.perEpoch)
	if !resuming && t.c.UseGraph && t.c.GraphCooccur {
		if err := setCooccurrence(t.store, t.data.Ann.Train); err != nil {
			return err
		}
	}
	if !resuming && t.opts.InitEncoder != "" {
		n, err := InitEncoder(t.store, t.opts.InitEncoder)
		if err != nil {
			return err
		}
		fmt.Fprintf(t.opts.Progress, "initialised %d encoder variables from %s\n", n, t.opts.InitEncoder)
	}
	if err := t.recipe.Prepare(t.store, t.data.Vocab); err != nil {
		return err
	}
	if t.step, err = model.NewExec(t.be, t.store, (func(*model.Scope, *Node, *Node, *Node) []*Node)(t.recipe.StepGraph())); err != nil {
		return err
	}
	if t.c.UsePrompts && len(t.state.BaseProb) == t.c.NumLabels {
		if err := mrgmodel.SetBaseProb(t.store, t.state.BaseProb); err != nil {
			return err
		}
	}
	t.ckptEvery = hparams.Int(root, ParamCheckpointEvery)
	t.selectMetric = hparams.String(root, ParamSelectMetric)
	t.log, err = run.OpenLog(t.dir.Log(), t.state.LogOffset, t.opts.Progress)
	return err
}

// loop runs the epochs left: epoch, validate, selectAndSave.
func (t *trainer) loop() (*run.Summary, error) {
	sum := &run.Summary{Dir: t.opts.Out}
	start := time.Now()
	finished := t.finished()
	if !finished {
		fmt.Fprintf(t.opts.Progress, "training %s: preset %s, %d epochs x %d steps (batch %d), backend %s\n", t.opts.Out,
			t.info.Preset, t.epochs, t.perEpoch, hparams.Int(t.store.RootScope(), run.ParamBatchSize), t.be.Name())
	}
	t.observe = t.opts.Observe.Attach(t.epochs, t.perEpoch, t.state.Step, t.state.Epoch)
	for ; t.state.Epoch <= t.epochs; t.state.Epoch, t.state.Batch = t.state.Epoch+1, 0 {
		epochStart := time.Now()
		stopped, err := t.epoch()
		if err != nil {
			return nil, err
		}
		if stopped {
			sum.Stopped, sum.Steps = true, t.state.Step
			fmt.Fprintf(t.opts.Progress, "\nstopped at step %d (checkpoint saved in %s)\n", t.state.Step, t.dir.Ckpt())
			return sum, nil
		}
		res, err := t.validate(epochStart)
		if err != nil {
			return nil, err
		}
		if err := t.selectAndSave(res); err != nil {
			return nil, err
		}
	}
	sum.Steps = t.state.Step
	sum.BestEpoch, sum.BestScore, sum.BestValues = t.state.BestEpoch, t.state.BestScore, t.state.BestValues
	if err := run.WritePlotPoints(t.opts.Out); err != nil { // also for a run that was finished already
		return nil, err
	}
	sum.Seconds = time.Since(start).Seconds()
	sum.SecPerStep = median(t.stepTimes)
	if finished { // nothing was trained, nor timed
		fmt.Fprintf(t.opts.Progress, "done: %s had finished its %d epochs; best epoch %d (%s %.4f)\n", t.opts.Out, t.epochs, sum.BestEpoch, t.selectMetric, sum.BestScore)
	} else {
		fmt.Fprintf(t.opts.Progress, "done: best epoch %d (%s %.4f), %.3f s/step, %.0fs\n", sum.BestEpoch, t.selectMetric, sum.BestScore, sum.SecPerStep, sum.Seconds)
	}
	return sum, nil
}

// finished reports whether the run has trained all its epochs (a resumed
// run can be: its checkpoint is at the epoch after the last).
func (t *trainer) finished() bool {
	return t.state.Epoch > hparams.Int(t.store.RootScope(), ParamEpochs)
}

// save flushes the log and checkpoints the state into dir.
func (t *trainer) save(dir string) error {
	if err := t.log.Flush(); err != nil {
		return err
	}
	t.state.LogOffset = t.log.Offset()
	return run.SaveCheckpoint(t.store, dir, t.state)
}

// checkpoint rewrites the run's plot points from its log (each record is
// written to the file as it is logged), then saves ckpt/. The points follow
// ckpt/, not best/, which is saved just before a ckpt/: once is enough.
func (t *trainer) checkpoint() error {
	if err := run.WritePlotPoints(t.opts.Out); err != nil {
		return err
	}
	return t.save(t.dir.Ckpt())
}

// record logs one record and passes it to the observer.
func (t *trainer) record(rec run.Record) {
	t.log.Write(rec)
	if t.observe != nil {
		t.observe(rec)
	}
}

// epoch runs the training steps left of the current epoch, logging each and
// checkpointing every checkpoint_every steps. It reports whether the run
// stopped at MaxSteps (checkpointed).
func (t *trainer) epoch() (stopped bool, err error) {
	state, opts := t.state, t.opts
	bi := 0
	for batch, err := range t.train.Epoch(state.Epoch) {
		if err != nil {
			return false, err
		}
		if bi < state.Batch { // resuming inside an epoch
			bi++
			batch.Finalize()
			continue
		}
		t0 := time.Now()
		outs, err := t.step.Exec(batch.Images, batch.Tokens, batch.Labels)
		batch.Finalize()
		if err != nil {
			return false, backend.WrapErr(err)
		}
		vals := make([]float64, len(outs))
		for i, o := range outs {
			vals[i] = toFloat(o.Value())
			_ = o.FinalizeAll()
		}
		dt := time.Since(t0).Seconds()
		t.stepTimes = append(t.stepTimes, dt)
		if math.IsNaN(vals[0]) || math.IsInf(vals[0], 0) {
			return false, nanError(vals[0], state, t.dir.Ckpt(), hparams.Float(t.store.RootScope(), ParamLR))
		}
		bi++
		state.Batch = bi
		state.Step++
		rec := run.Record{Kind: run.KindStep, Step: state.Step, Epoch: state.Epoch,
			Values: map[string]float64{"loss": vals[0], "sec_per_step": round(dt, 4), "lr": vals[len(vals)-1]}}
		for i, n := range t.recipe.LossNames() {
			rec.Values[n] = vals[1+i]
		}
		t.record(rec)
		if !opts.Quiet {
			med := median(t.stepTimes)
			fmt.Fprintf(opts.Progress, "\r  epoch %d/%d  step %4d/%d  loss %.4f  %.3f s/step  ETA %s   ", state.Epoch, t.epochs, bi, t.perEpoch,
				vals[0], med, eta(med, (t.epochs-state.Epoch)*t.perEpoch+t.perEpoch-bi))
		}
		if t.ckptEvery > 0 && state.Step%t.ckptEvery == 0 {
			if err := t.checkpoint(); err != nil {
				return false, err
			}
		}
		if opts.MaxSteps > 0 && state.Step >= opts.MaxSteps {
			return true, t.checkpoint()
		}
	}
	if !opts.Quiet {
		fmt.Fprintln(opts.Progress)
	}
	return false, nil
}

// validate calibrates the adaptive logit adjustment on the whole validation
// split (encoder and diagnosis only), then decodes and scores with that
// calibration, so the best checkpoint keeps the base probabilities it was
// validated with, and logs the epoch's record. The generator is rebuilt each
// time: an Exec compiled earlier was seen to keep reading the variable
// values of its first call.
func (t *trainer) validate(epochStart time.Time) (*eval.Result, error) {
	state, root := t.state, t.store.RootScope()
	gen, err := mrgmodel.NewGenerator(t.be, t.store)
	if err != nil {
		return nil, err
	}
	if t.c.UsePrompts {
		diags, err := eval.Diagnose(gen, t.val, 0)
		if err != nil {
			return nil, errors.Wrap(err, "validation")
		}
		prev := state.BaseProb
		if len(prev) != t.c.NumLabels {
			prev = ones(t.c.NumLabels)
		}
		if state.BaseProb, err = eval.Calibrate(hparams.String(root, ParamLogitAdjust), diags, prev, gen.Config.NFRule); err != nil {
			return nil, err
		}
		if err := mrgmodel.SetBaseProb(t.store, state.BaseProb); err != nil {
			return nil, err
		}
		if gen, err = mrgmodel.NewGenerator(t.be, t.store); err != nil {
			return nil, err
		}
	}
	res, err := eval.Evaluate(gen, t.val, t.data.Vocab, t.data.Refs, eval.Options{Split: "val", Decode: ValidationDecode(t.store),
		Limit: hparams.Int(root, ParamValLimit), NoMETEOR: true})
	if err != nil {
		return nil, errors.Wrap(err, "validation")
	}
	rec := run.Record{Kind: run.KindEpoch, Epoch: state.Epoch, Step: state.Step, Split: "val",
		Values: map[string]float64{"epoch_seconds": round(time.Since(epochStart).Seconds(), 2)}}
	for k, v := range res.Flat {
		rec.Values[k] = v
	}
	t.record(rec)
	return res, nil
}

// selectAndSave keeps the epoch as best/ when its selection score is the
// best so far, then checkpoints ckpt/ at the start of the next epoch.
func (t *trainer) selectAndSave(res *eval.Result) error {
	state := t.state
	score, err := SelectionScore(res.Flat, t.selectMetric)
	if err != nil {
		return err
	}
	fmt.Fprintf(t.opts.Progress, "  epoch %d val: BLEU-4 %.4f  ROUGE-L %.4f  CIDEr %.4f  CE micro-F1 %.4f  (%.1fs)\n",
		state.Epoch, res.Flat["BLEU_4"], res.Flat["ROUGE_L"], res.Flat["CIDEr"], res.Flat["ce_micro_f1"], res.Seconds)
	state.Batch = t.perEpoch
	if score > state.BestScore {
		state.BestScore, state.BestEpoch, state.BestValues = score, state.Epoch, res.Flat
		if err := t.save(t.dir.Best()); err != nil {
			return err
		}
	}
	// The next epoch starts at batch 0.
	st := *state
	state.Epoch++
	state.Batch = 0
	if err := t.checkpoint(); err != nil {
		return err
	}
	*state = st
	return nil
}
