// Package train runs phase 1 of the method: the teacher is trained with
// L = L_lm + cls_weight * L_cls, validated every epoch with NLG and clinical
// metrics, selected on the validation split, checkpointed atomically, and
// resumable bit for bit. Its loop is reused by package distill.
package train

import (
	"maps"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	"github.com/mrgkit/mrgkit/mrgkit/internal/usage"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// Training hyperparameters (root scope), beside the optimiser's (optim.go).
const (
	ParamEpochs          = "epochs"
	ParamCheckpointEvery = "checkpoint_every" // steps between checkpoints (0: epoch ends only)
	ParamValBeam         = "val_beam"         // beam width of per-epoch validation
	ParamValLimit        = "val_limit"        // validation batches per epoch (0: all)
	ParamSelectMetric    = "select_metric"    // validation metric(s) for model selection, "+"-separated keys are summed
	ParamVocabThreshold  = "vocab_threshold"  // 0: the dataset's default (3 IU, 10 MIMIC)
	ParamMinGenLen       = "min_gen_len"      // minimum generated words
	ParamLengthPenalty   = "length_penalty"   // validation beam: logprob / (words+1)^α
	ParamNoRepeatNgram   = "no_repeat_ngram"  // validation decoding: n-gram blocking (0 = off)
	// ParamLogitAdjust sets the diagnosis branch's base probabilities after
	// each validation pass (eval.AdjustF1, AdjustPaper or AdjustNone).
	ParamLogitAdjust = "logit_adjust"
)

// The training hyperparameters: their defaults are the `cpu` preset's
// values. Resumable ones may change when a run is resumed (applyResume).
func init() {
	d := mrgmodel.DefaultDecodeOptions()
	hparams.Register("train",
		hparams.Spec{Key: ParamEpochs, Default: 8, Range: "[1,)", Resumable: true, Doc: "training epochs"},
		hparams.Spec{Key: ParamCheckpointEvery, Default: 200, Range: "[0,)", Resumable: true, Doc: "steps between checkpoints (0: at epoch ends only)"},
		hparams.Spec{Key: ParamValBeam, Default: 1, Range: "[1,16]", Resumable: true, Doc: "beam width of per-epoch validation"},
		hparams.Spec{Key: ParamValLimit, Default: 0, Range: "[0,)", Resumable: true, Doc: "validation batches per epoch (0: every one)"},
		hparams.Spec{Key: ParamSelectMetric, Default: "BLEU_4+ce_micro_f1", Doc: "validation metric(s) selecting best/; \"+\"-separated keys are summed"},
		hparams.Spec{Key: ParamVocabThreshold, Default: 0, Range: "[0,)", Doc: "minimum word count of the vocabulary (0: the dataset's default, 3 IU, 10 MIMIC)"},
		hparams.Spec{Key: ParamMinGenLen, Default: 3, Range: "[0,)", Resumable: true, Doc: "validation decoding: minimum generated words"},
		hparams.Spec{Key: ParamLengthPenalty, Default: d.LengthPenalty, Range: "[0,5]", Doc: "validation beam: score = logprob / (words+1)^α"},
		hparams.Spec{Key: ParamNoRepeatNgram, Default: d.NoRepeatNgram, Range: "[0,)", Doc: "validation decoding: n-gram blocking (0: off)"},
		hparams.Spec{Key: ParamLogitAdjust, Default: eval.AdjustF1, Choices: []string{eval.AdjustF1, eval.AdjustPaper, eval.AdjustNone},
			Doc: "how the diagnosis branch's base probabilities are set after each validation pass"},
		// High for a short CPU run: the decoder learns to use its prompts in a few hundred steps (README).
		hparams.Spec{Key: ParamLR, Aliases: []string{"lr"}, Default: 5e-3, Range: "(0,10]", Resumable: true,
			Doc: "peak learning rate (AdamW steps are about lr per weight: above 10 it diverges at once)"},
		hparams.Spec{Key: ParamMinLR, Default: 1e-5, Range: "[0,)", Resumable: true, Doc: "final learning rate of the cosine decay (<= learning_rate)"},
		hparams.Spec{Key: ParamWarmupSteps, Default: 100, Range: "[0,)", Resumable: true, Doc: "linear warm-up steps"},
		hparams.Spec{Key: ParamTotalSteps, Default: 0, Range: "[0,)", Doc: "steps of the whole run (set by the loop: epochs x batches)"},
		hparams.Spec{Key: ParamWeightDecay, Aliases: []string{"weight_decay"}, Default: 0.05, Range: "[0,)", Resumable: true,
			Doc: "AdamW's decoupled weight decay, on matrices and kernels only (not biases, norms, positions)"},
		hparams.Spec{Key: ParamClipGrad, Default: 0.1, Range: "[0,)", Resumable: true, Doc: "clip each gradient value to ±clip_grad (0: off; R2Gen's clip_grad_value_)"},
		hparams.Spec{Key: ParamAdamBeta1, Default: 0.9, Range: "[0,1)", Doc: "Adam's first-moment decay"},
		hparams.Spec{Key: ParamAdamBeta2, Default: 0.999, Range: "[0,1)", Doc: "Adam's second-moment decay"},
		hparams.Spec{Key: ParamAdamEpsilon, Aliases: []string{"adam_eps"}, Default: 1e-8, Range: "(0,)", Doc: "Adam's epsilon"},
	)
}

// Presets overrides per model preset.
var Presets = map[string]map[string]any{
	"tiny":  {ParamEpochs: 1, run.ParamBatchSize: 4, ParamWarmupSteps: 2, ParamCheckpointEvery: 0, ParamLR: 1e-3},
	"cpu":   {},
	"paper": {run.ParamReportOrder: "original", ParamEpochs: 10, ParamLR: 5e-5, ParamMinLR: 5e-6, ParamWarmupSteps: 2000, ParamValBeam: 3},
}

// Configure fills a new store with the model and training hyperparameters
// of a preset, then applies the user's "-set" string.
func Configure(store *model.Store, preset, set string) error {
	hparams.SetDefaults(store, "train", "run")
	root := store.RootScope()
	if over, ok := Presets[preset]; ok {
		for k, v := range over {
			root.SetParam(k, v)
		}
	}
	if err := mrgmodel.Configure(store, preset, set); err != nil {
		return err
	}
	return usage.Wrap(validate(store))
}

func validate(store *model.Store) error {
	if err := hparams.Validate(store); err != nil {
		return err
	}
	r := store.RootScope()
	if lr, minLR := hparams.Float(r, ParamLR), hparams.Float(r, ParamMinLR); minLR > lr {
		return errors.Errorf("%s=%v: must be in [0, %s=%v]", ParamMinLR, minLR, ParamLR, lr)
	}
	if err := CheckSelectMetric(hparams.String(r, ParamSelectMetric)); err != nil {
		return err
	}
	return ValidationDecode(store).Validate(mrgmodel.ReadConfig(store))
}

// ValidationDecode returns the decoding options of per-epoch validation.
func ValidationDecode(store *model.Store) mrgmodel.DecodeOptions {
	r := store.RootScope()
	return mrgmodel.DecodeOptions{Beam: hparams.Int(r, ParamValBeam), MinLen: hparams.Int(r, ParamMinGenLen),
		RepetitionPenalty: 1, LengthPenalty: hparams.Float(r, ParamLengthPenalty), NoRepeatNgram: hparams.Int(r, ParamNoRepeatNgram)}
}

// PresetParams returns every hyperparameter (model and training) of a preset.
func PresetParams(preset string) map[string]any {
	store := model.NewStore()
	if err := Configure(store, preset, ""); err != nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range store.IterParams() {
		out[strings.TrimPrefix(k, "/")] = v
	}
	return out
}

// JoinSets joins "-set" strings ("k=v;k2=v2") with ";", skipping empty ones;
// later settings override earlier ones when parsed.
func JoinSets(sets ...string) string {
	var parts []string
	for _, s := range sets {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ";")
}

// CheckSelectMetric checks a selection expression (see SelectionScore)
// before any training: every key must be a per-epoch validation metric.
func CheckSelectMetric(expr string) error {
	known := map[string]float64{}
	for _, k := range metrics.ScoreKeys {
		if k != "METEOR" { // per-epoch validation skips METEOR
			known[k] = 0
		}
	}
	for k := range eval.Flatten(nil, metrics.CE{}) {
		known[k] = 0
	}
	if _, err := SelectionScore(known, expr); err != nil {
		names := slices.Sorted(maps.Keys(known))
		return errors.Errorf("%v (known: %s)", err, strings.Join(names, ", "))
	}
	return nil
}
