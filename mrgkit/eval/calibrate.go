package eval

import (
	"math"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/model"
)

// Logit-adjustment modes (the model's logit_adjust hyperparameter): how the
// diagnosis branch's base probabilities are set after each validation pass.
const (
	// AdjustF1 shifts each observation's positive logit by a δ
	// (base_prob = exp(-δ)) chosen to maximise the micro-F1 of "positive"
	// over all observations on the validation split (coordinate ascent over
	// the observations): under-confident observations get a boost, and
	// observations the encoder cannot see are not flooded with positives —
	// a label's own F1 would be maximised by calling every study positive
	// (F1 ≈ 2·prevalence > 0), the micro-F1 is not.
	AdjustF1 = "f1"
	// AdjustPaper is the method's rule (PromptMRG's adaptive base
	// probabilities): base_prob[d] = mean predicted positive probability
	// over studies truly positive for d, divided by the maximum. It boosts
	// every observation the branch is unsure of, seen or not.
	AdjustPaper = "paper"
	// AdjustNone keeps base_prob = 1: plain argmax of the raw logits.
	AdjustNone = "none"
)

// Diagnosis is the diagnosis branch's raw output for one study.
type Diagnosis struct {
	ID     string
	Truth  chexpert.Labels // label classes (the annotation's or the labeler's)
	Logits []float32       // raw logits [NumLabels*4]
	// PositiveP is the softmax probability of "positive" of the raw logits
	// per observation (model.Prediction.PositiveP).
	PositiveP []float32
}

// Diagnose runs only the encoder and the diagnosis branch over at most
// limit batches of the loader (0: all): a pass that is cheap beside
// decoding, used to calibrate the logit adjustment on a whole split.
func Diagnose(gen *model.Generator, loader *data.Loader, limit int) ([]Diagnosis, error) {
	var out []Diagnosis
	n := 0
	for batch, err := range loader.Epoch(0) {
		if err != nil {
			return nil, err
		}
		if limit > 0 && n >= limit {
			batch.Finalize()
			break
		}
		preds, err := gen.Diagnose(batch.Images)
		if err != nil {
			batch.Finalize()
			return nil, err
		}
		truth := tensors.MustCopyFlatData[int32](batch.Labels)
		nl := batch.Labels.Shape().Dimensions[1]
		for i, p := range preds {
			d := Diagnosis{ID: batch.IDs[i], Logits: p.RawLogits, PositiveP: p.PositiveP}
			for o := 0; o < nl && o < chexpert.NumObservations; o++ {
				d.Truth[o] = chexpert.State(truth[i*nl+o])
			}
			out = append(out, d)
		}
		batch.Finalize()
		n++
	}
	if len(out) == 0 {
		return nil, errors.New("no studies to diagnose")
	}
	return out, nil
}

// CheckAdjust reports whether mode is a logit-adjustment mode.
func CheckAdjust(mode string) error {
	switch mode {
	case AdjustF1, AdjustPaper, AdjustNone:
		return nil
	}
	return errors.Errorf("logit_adjust=%q: must be %s, %s or %s", mode, AdjustF1, AdjustPaper, AdjustNone)
}

// Calibrate returns the base probabilities of the given logit-adjustment
// mode from a diagnosis pass; prev are the current ones (kept for an
// observation without positive studies). derivedNF says that the model
// derives No Finding from the other observations (model param nf_rule): its
// own shift is then kept, and AdjustF1 leaves it out of the micro-F1.
func Calibrate(mode string, diags []Diagnosis, prev []float32, derivedNF bool) ([]float32, error) {
	switch mode {
	case AdjustF1:
		return f1Shifts(diags, prev, derivedNF), nil
	case AdjustPaper:
		return paperBaseProb(diags, prev), nil
	case AdjustNone:
		out := make([]float32, len(prev))
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	return nil, CheckAdjust(mode)
}

// ShiftGrid are the positive-logit shifts δ AdjustF1 tries.
var ShiftGrid = func() []float64 {
	var g []float64
	for d := -4.0; d <= 4.0+1e-9; d += 0.25 {
		g = append(g, math.Round(d*100)/100)
	}
	return g
}()

// isPositive says whether the argmax of a study's 4 logits for one
// observation is "positive" once the positive logit is shifted by delta.
func isPositive(row []float32, delta float64) bool {
	p := float64(row[chexpert.Positive.Class()]) + delta
	for s := range 4 {
		if s != chexpert.Positive.Class() && float64(row[s]) >= p {
			return false
		}
	}
	return true
}

// f1Shifts picks the shifts δ_d of ShiftGrid that maximise the micro-F1
// of "positive" over every observation on diags: starting from δ = 0, each
// observation in turn takes the δ that maximises the micro-F1 with the
// others fixed (ties: the smallest |δ|, then the negative one), for three
// rounds or until nothing changes. The result is base_prob = exp(-δ).
// Observations without a positive study keep prev, and so does No Finding
// when derivedNF (it is then not counted in the micro-F1 either).
func f1Shifts(diags []Diagnosis, prev []float32, derivedNF bool) []float32 {
	n := len(prev)
	skip := func(o int) bool { return derivedNF && o == chexpert.NoFinding }
	// counts[o][g] = (tp, fp) of observation o at grid shift g; pos[o] positives.
	type tpfp struct{ tp, fp int }
	counts := make([][]tpfp, n)
	pos := make([]int, n)
	for o := 0; o < n; o++ {
		counts[o] = make([]tpfp, len(ShiftGrid))
		for _, d := range diags {
			truth := d.Truth[o] == chexpert.Positive
			if truth {
				pos[o]++
			}
			for g, delta := range ShiftGrid {
				if isPositive(d.Logits[o*4:o*4+4], delta) {
					if truth {
						counts[o][g].tp++
					} else {
						counts[o][g].fp++
					}
				}
			}
		}
	}
	zero := 0
	for g, delta := range ShiftGrid {
		if delta == 0 {
			zero = g
		}
	}
	choice := make([]int, n)
	var tp, fp, fn int
	for o := 0; o < n; o++ {
		choice[o] = zero
		if skip(o) {
			continue
		}
		tp, fp, fn = tp+counts[o][zero].tp, fp+counts[o][zero].fp, fn+pos[o]-counts[o][zero].tp
	}
	microF1 := func(tp, fp, fn int) float64 {
		if 2*tp+fp+fn == 0 {
			return 0
		}
		return 2 * float64(tp) / float64(2*tp+fp+fn)
	}
	for round := 0; round < 3; round++ {
		changed := false
		for o := 0; o < n; o++ {
			if pos[o] == 0 || skip(o) {
				continue
			}
			c := counts[o][choice[o]]
			// The others' counts.
			tpo, fpo, fno := tp-c.tp, fp-c.fp, fn-(pos[o]-c.tp)
			best, bestF1 := choice[o], -1.0
			for g := range ShiftGrid {
				f1 := microF1(tpo+counts[o][g].tp, fpo+counts[o][g].fp, fno+pos[o]-counts[o][g].tp)
				better := f1 > bestF1+1e-12
				if !better && math.Abs(f1-bestF1) <= 1e-12 {
					d, b := ShiftGrid[g], ShiftGrid[best]
					better = math.Abs(d) < math.Abs(b) || (math.Abs(d) == math.Abs(b) && d < b)
				}
				if better {
					best, bestF1 = g, f1
				}
			}
			if best != choice[o] {
				changed = true
				choice[o] = best
				nc := counts[o][best]
				tp, fp, fn = tpo+nc.tp, fpo+nc.fp, fno+pos[o]-nc.tp
			}
		}
		if !changed {
			break
		}
	}
	out := append([]float32(nil), prev...)
	for o := 0; o < n; o++ {
		if pos[o] > 0 && !skip(o) {
			out[o] = float32(math.Exp(-ShiftGrid[choice[o]]))
		}
	}
	return out
}

// paperBaseProb is the method's update: for each observation, the mean
// predicted positive probability over studies truly positive for it,
// divided by the maximum over observations (floored at 1e-3).
// Observations without positive studies keep prev.
func paperBaseProb(diags []Diagnosis, prev []float32) []float32 {
	n := len(prev)
	sum := make([]float64, n)
	cnt := make([]float64, n)
	for _, d := range diags {
		for o := 0; o < n; o++ {
			if d.Truth[o] == chexpert.Positive {
				sum[o] += float64(d.PositiveP[o])
				cnt[o]++
			}
		}
	}
	out := make([]float32, n)
	mx := 0.0
	for o := range out {
		if cnt[o] > 0 {
			mx = max(mx, sum[o]/cnt[o])
		}
	}
	for o := range out {
		switch {
		case cnt[o] == 0 || mx == 0:
			out[o] = prev[o]
		default:
			out[o] = float32(max(sum[o]/cnt[o]/mx, 1e-3))
		}
	}
	return out
}
