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

// Defaults are the training hyperparameters of the `cpu` preset.
func Defaults() map[string]any {
	return map[string]any{
		run.ParamBatchSize:   16,
		ParamEpochs:          8,
		run.ParamSeed:        42,
		ParamCheckpointEvery: 200,
		ParamValBeam:         1,
		ParamValLimit:        0,
		ParamSelectMetric:    "BLEU_4+ce_micro_f1",
		run.ParamRotateDeg:   5.0,
		ParamVocabThreshold:  0,
		ParamMinGenLen:       3,
		ParamLengthPenalty:   mrgmodel.DefaultDecodeOptions().LengthPenalty,
		ParamNoRepeatNgram:   mrgmodel.DefaultDecodeOptions().NoRepeatNgram,
		ParamLogitAdjust:     eval.AdjustF1,
		run.ParamReportOrder: "canonical",
		ParamLR:              5e-3, // high for a short CPU run: the decoder learns to use its prompts in a few hundred steps (README)
		ParamMinLR:           1e-5,
		ParamWarmupSteps:     100,
		ParamTotalSteps:      0,
		ParamWeightDecay:     0.05,
		ParamClipGrad:        0.1,
		ParamAdamBeta1:       0.9,
		ParamAdamBeta2:       0.999,
		ParamAdamEpsilon:     1e-8,
	}
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
	root := store.RootScope()
	for k, v := range Defaults() {
		root.SetParam(k, v)
	}
	if over, ok := Presets[preset]; ok {
		for k, v := range over {
			root.SetParam(k, v)
		}
	}
	if err := mrgmodel.Configure(store, preset, set); err != nil {
		return err
	}
	return validate(store)
}

// MaxLR is the largest learning rate validate accepts: AdamW steps are
// about lr per weight, so anything larger diverges at the first step.
const MaxLR = 10.0

func validate(store *model.Store) error {
	r := store.RootScope()
	lr := model.GetParamOr(r, ParamLR, 1e-3)
	minLR := model.GetParamOr(r, ParamMinLR, 0.0)
	if err := CheckSelectMetric(model.GetParamOr(r, ParamSelectMetric, "BLEU_4")); err != nil {
		return err
	}
	switch {
	case model.GetParamOr(r, run.ParamBatchSize, 16) < 1:
		return errors.Errorf("%s must be >= 1", run.ParamBatchSize)
	case model.GetParamOr(r, ParamEpochs, 1) < 1:
		return errors.Errorf("%s must be >= 1", ParamEpochs)
	case !(lr > 0 && lr <= MaxLR): // also refuses NaN
		return errors.Errorf("%s=%v: must be in (0, %g]", ParamLR, lr, MaxLR)
	case !(minLR >= 0 && minLR <= lr):
		return errors.Errorf("%s=%v: must be in [0, %s=%v]", ParamMinLR, minLR, ParamLR, lr)
	case model.GetParamOr(r, ParamCheckpointEvery, 0) < 0:
		return errors.Errorf("%s=%d: must be >= 0 (0: at epoch ends only)", ParamCheckpointEvery, model.GetParamOr(r, ParamCheckpointEvery, 0))
	case model.GetParamOr(r, ParamValLimit, 0) < 0:
		return errors.Errorf("%s=%d: must be >= 0 (0: every validation batch)", ParamValLimit, model.GetParamOr(r, ParamValLimit, 0))
	case model.GetParamOr(r, ParamMinGenLen, 0) < 0:
		return errors.Errorf("%s must be >= 0", ParamMinGenLen)
	case model.GetParamOr(r, ParamValBeam, 1) < 1:
		return errors.Errorf("%s must be >= 1", ParamValBeam)
	case model.GetParamOr(r, ParamWarmupSteps, 0) < 0:
		return errors.Errorf("%s must be >= 0", ParamWarmupSteps)
	}
	if o := model.GetParamOr(r, run.ParamReportOrder, "original"); o != "canonical" && o != "original" {
		return errors.Errorf("%s=%q: must be canonical or original", run.ParamReportOrder, o)
	}
	if err := eval.CheckAdjust(model.GetParamOr(r, ParamLogitAdjust, eval.AdjustF1)); err != nil {
		return err
	}
	return ValidationDecode(store).Validate(mrgmodel.ReadConfig(store))
}

// ValidationDecode returns the decoding options of per-epoch validation.
func ValidationDecode(store *model.Store) mrgmodel.DecodeOptions {
	r := store.RootScope()
	d := mrgmodel.DefaultDecodeOptions()
	return mrgmodel.DecodeOptions{Beam: model.GetParamOr(r, ParamValBeam, 1), MinLen: model.GetParamOr(r, ParamMinGenLen, d.MinLen),
		RepetitionPenalty: 1, LengthPenalty: model.GetParamOr(r, ParamLengthPenalty, d.LengthPenalty),
		NoRepeatNgram: model.GetParamOr(r, ParamNoRepeatNgram, d.NoRepeatNgram)}
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
