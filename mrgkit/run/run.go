// Package run owns a trained run directory: its layout (Dir), what it was
// trained on (run.json, Info), its checkpoints (State, SaveCheckpoint,
// LoadCheckpoint) and locks, its log (log.jsonl records), the data it reads
// (LoadData, Data.Loader), and inference with it (Load, Evaluate,
// GenerateStudy). Package train writes runs; eval, generate, ablate, demo,
// plots and the notebooks read them through this package.
package run

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	"github.com/mrgkit/mrgkit/mrgkit/labeler"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

// Files of a run directory.
const (
	LogFile     = "log.jsonl"  // per-step and per-epoch metrics (JSON lines)
	VocabFile   = "vocab.json" // the data vocabulary
	CkptDir     = "ckpt"       // latest checkpoint (resume)
	BestDir     = "best"       // best checkpoint on validation (eval, generate, teacher)
	RunInfoFile = "run.json"   // what the run was trained on
)

// Dir is a run directory. Its methods name the paths the kit keeps in it;
// nothing else spells them out.
type Dir string

// Log is the run's log.jsonl (Record lines).
func (d Dir) Log() string { return filepath.Join(string(d), LogFile) }

// Vocab is the run's vocabulary.
func (d Dir) Vocab() string { return filepath.Join(string(d), VocabFile) }

// RunJSON is the run's run.json (Info).
func (d Dir) RunJSON() string { return filepath.Join(string(d), RunInfoFile) }

// Best is the checkpoint selected on validation.
func (d Dir) Best() string { return filepath.Join(string(d), BestDir) }

// Ckpt is the latest checkpoint (resume).
func (d Dir) Ckpt() string { return filepath.Join(string(d), CkptDir) }

// Eval is the directory of an evaluation of a split: eval_<split>, or
// eval_<split>_truth with the ground-truth prompts (eval.PromptsTruth).
func (d Dir) Eval(split, prompts string) string {
	name := "eval_" + split
	if prompts == eval.PromptsTruth {
		name += "_truth"
	}
	return filepath.Join(string(d), name)
}

// Reports is the reports.json of an evaluation with predicted prompts.
func (d Dir) Reports(split string) string {
	return filepath.Join(d.Eval(split, eval.PromptsPredicted), ReportsFile)
}

// Metrics is the metrics.json of an evaluation with predicted prompts.
func (d Dir) Metrics(split string) string {
	return filepath.Join(d.Eval(split, eval.PromptsPredicted), MetricsFile)
}

// Hyperparameters of the data pipeline (root scope of the store), read by
// Data.Loader for training and for evaluation alike.
const (
	ParamBatchSize = "batch_size"
	ParamSeed      = "seed"
	ParamRotateDeg = "rotate_deg" // training augmentation
	// ParamReportOrder is the sentence order of the decoder's training
	// targets: "canonical" (labeler.CanonicalOrder: findings stated in
	// CheXpert order, so the prompts say what comes next), "planned"
	// (labeler.PlannedOrder: canonical, each sentence prefixed by a
	// content-plan word for its observation, dropped from the output text)
	// or "original".
	ParamReportOrder = "report_order"
)

// The data pipeline's hyperparameters: their defaults are the `cpu`
// preset's values.
func init() {
	hparams.Register("run",
		hparams.Spec{Key: ParamBatchSize, Default: 16, Range: "[1,)", Doc: "studies per batch (training and evaluation)"},
		hparams.Spec{Key: ParamSeed, Default: 42, Doc: "seed of the initialisation, the shuffling and the augmentation"},
		hparams.Spec{Key: ParamRotateDeg, Default: 5.0, Range: "[0,180]", Doc: "training augmentation: random rotation within ±rotate_deg degrees"},
		// Runs made before report_order existed trained on the original order.
		hparams.Spec{Key: ParamReportOrder, Default: "planned", Legacy: "original", Choices: []string{"canonical", "original", "planned"},
			Doc: "sentence order of the decoder's training targets: canonical (CheXpert order, as the prompts), planned (canonical with a content-plan word per sentence, dropped from the output) or original"},
	)
}

// Info is what run.json records: what the run was trained on.
type Info struct {
	Kind      string `json:"kind"`
	DataDir   string `json:"data_dir"`
	Dataset   string `json:"dataset"`
	ImageRoot string `json:"image_root"`
	Preset    string `json:"preset"`
	Set       string `json:"set"`
	Backend   string `json:"backend"`
	Teacher   string `json:"teacher,omitempty"`
}

// Data bundles what a run reads from a dataset.
type Data struct {
	Ann       *data.Annotation
	Clean     func(string) string
	Vocab     *data.Vocab
	ImageRoot string
	Refs      map[string]string // id → cleaned report, every split
}

// LoadData reads the annotation and builds (or loads) the vocabulary.
func LoadData(dataDir, dataset, imageRoot string, vocab *data.Vocab, threshold int) (*Data, error) {
	annPath := data.AnnotationPath(dataDir)
	if _, err := os.Stat(annPath); err != nil {
		return nil, errors.Errorf("data directory %s has no annotation.json (generate one with `mrg data synth -out %s`)", dataDir, dataDir)
	}
	ann, err := data.LoadAnnotation(annPath)
	if err != nil {
		return nil, err
	}
	clean, err := data.Cleaner(dataset)
	if err != nil {
		return nil, err
	}
	if imageRoot == "" {
		imageRoot = filepath.Join(dataDir, "images")
	}
	d := &Data{Ann: ann, Clean: clean, ImageRoot: imageRoot, Refs: map[string]string{}}
	for _, e := range ann.All() {
		d.Refs[e.ID] = clean(e.Report)
	}
	if vocab == nil {
		if threshold <= 0 {
			threshold, _, err = data.DefaultThreshold(dataset)
			if err != nil {
				return nil, err
			}
		}
		var reports []string
		for _, e := range ann.Train {
			reports = append(reports, d.Refs[e.ID])
		}
		if len(reports) == 0 {
			return nil, errors.Errorf("%s: the train split is empty", annPath)
		}
		vocab = data.BuildVocab(reports, threshold)
	}
	d.Vocab = vocab
	return d, nil
}

// Loader builds a loader over one split with the store's image settings.
func (d *Data) Loader(store *model.Store, split string, train bool) (*data.Loader, error) {
	entries, err := d.Ann.Split(split)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errors.Errorf("split %q is empty", split)
	}
	c := mrgmodel.ReadConfig(store)
	r := store.RootScope()
	bs := hparams.Int(r, ParamBatchSize)
	cfg := data.LoaderConfig{
		BatchSize: bs,
		MaxLen:    c.MaxLen,
		Views:     c.Views,
		Transform: data.Transform{Resize: c.ImageResize, Crop: c.ImageSize, Train: train, Channels: c.Channels},
		Shuffle:   train,
		Seed:      int64(hparams.Int(r, ParamSeed)),
		DropLast:  train && len(entries) > bs,
		Prefetch:  4,
		Cache:     true,
		LabelFunc: labeler.Label,
	}
	if train {
		cfg.Transform.RotateDeg = hparams.Float(r, ParamRotateDeg)
		switch hparams.String(r, ParamReportOrder) {
		case "canonical":
			cfg.Target = labeler.CanonicalOrder
		case "planned":
			cfg.Target = labeler.PlannedOrder
		}
	}
	return data.NewLoader(entries, d.ImageRoot, d.Vocab, d.Clean, cfg)
}

// LastCkptStep returns the step of the checkpoint in dir, if it has a readable one.
func LastCkptStep(dir string) (int, bool) {
	d, ok := checkpointDir(dir)
	if !ok {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(d, StateFile))
	if err != nil {
		return 0, false
	}
	var s State
	if json.Unmarshal(b, &s) != nil {
		return 0, false
	}
	return s.Step, true
}

// Load loads a run's best (or latest) checkpoint for inference.
func Load(dir string) (*model.Store, *data.Vocab, *Info, error) {
	// Shared checkpoint lock: a trainer never swaps a checkpoint in while
	// this reads one.
	unlock, err := LockCheckpoints(dir, false)
	if err != nil {
		return nil, nil, nil, err
	}
	defer unlock()
	ck := filepath.Join(dir, BestDir)
	if !HasCheckpoint(ck) {
		ck = filepath.Join(dir, CkptDir)
	}
	if !HasCheckpoint(ck) {
		return nil, nil, nil, errors.Errorf("%s is not a trained run: no checkpoint in %s/%s or %s/%s", dir, dir, BestDir, dir, CkptDir)
	}
	store, state, err := LoadCheckpoint(ck)
	if err != nil {
		return nil, nil, nil, err
	}
	vocab, err := data.LoadVocab(filepath.Join(dir, VocabFile))
	if err != nil {
		return nil, nil, nil, err
	}
	var info Info
	if b, err := os.ReadFile(filepath.Join(dir, RunInfoFile)); err == nil {
		if err := json.Unmarshal(b, &info); err != nil {
			return nil, nil, nil, errors.Wrapf(err, "%s/%s is corrupted", dir, RunInfoFile)
		}
		info.DataDir = ResolveRunPath(dir, info.DataDir)
		info.ImageRoot = ResolveRunPath(dir, info.ImageRoot)
		info.Teacher = ResolveRunPath(dir, info.Teacher)
	}
	c := mrgmodel.ReadConfig(store)
	if c.VocabSize != vocab.Size() {
		return nil, nil, nil, errors.Errorf("%s has %d words but the checkpoint %s was trained with %d (%s): the vocabulary does not belong to this run",
			filepath.Join(dir, VocabFile), vocab.Size(), ck, c.VocabSize, mrgmodel.ParamVocabSize)
	}
	if c.UsePrompts && len(state.BaseProb) == c.NumLabels {
		if err := mrgmodel.SetBaseProb(store, state.BaseProb); err != nil {
			return nil, nil, nil, err
		}
	}
	return store, vocab, &info, nil
}
