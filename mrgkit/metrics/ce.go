package metrics

import (
	"fmt"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// PRF is a precision / recall / F1 triple.
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Counts are one observation's true positives, false positives and false negatives.
type Counts struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
}

// CE holds the clinical-efficacy scores of generated reports against
// reference reports, both labelled with the same labeler.
type CE struct {
	Micro    PRF               `json:"micro"`
	Macro    PRF               `json:"macro"`
	Example  PRF               `json:"example"`
	PerLabel map[string]Counts `json:"per_label"`
}

// ClinicalEfficacy compares the labels of generated reports (hyps) with
// those of the references (refs), pair by pair. Only Positive counts as
// positive (negative, uncertain and blank are all "not positive"). All 14
// observations, No Finding included, take part, as in R2Gen's, R2GenCMN's
// and PromptMRG's CE code.
//
//   - Micro: TP, FP, FN summed over all (study, observation) pairs, then
//     P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN) (R2Gen family).
//   - Macro: P, R and F1 per observation, then their plain means over the 14
//     (sklearn's average="macro"; F1 is the mean of per-label F1s).
//   - Example: P, R, F1 per study over its 14 labels, then the mean over
//     studies (PromptMRG / KIF). A study where neither side has a positive
//     label scores 0, not 1: those scorers use nan_to_num(0/0) = 0.
//
// Every 0/0 is 0.
func ClinicalEfficacy(refs, hyps []chexpert.Labels) (CE, error) {
	if len(refs) != len(hyps) {
		return CE{}, fmt.Errorf("metrics: %d reference label sets but %d hypothesis label sets", len(refs), len(hyps))
	}
	if len(refs) == 0 {
		return CE{}, fmt.Errorf("metrics: no label sets to compare")
	}
	var per [chexpert.NumObservations]Counts
	var ex PRF
	for i := range refs {
		var tp, fp, fn int
		for o := 0; o < chexpert.NumObservations; o++ {
			r, h := refs[i][o] == chexpert.Positive, hyps[i][o] == chexpert.Positive
			switch {
			case r && h:
				tp++
				per[o].TP++
			case h:
				fp++
				per[o].FP++
			case r:
				fn++
				per[o].FN++
			}
		}
		p := prf(tp, fp, fn)
		ex.Precision += p.Precision
		ex.Recall += p.Recall
		ex.F1 += p.F1
	}
	n := float64(len(refs))
	ce := CE{Example: PRF{ex.Precision / n, ex.Recall / n, ex.F1 / n}, PerLabel: map[string]Counts{}}
	var tp, fp, fn int
	for o, c := range per {
		ce.PerLabel[chexpert.Observations[o]] = c
		tp, fp, fn = tp+c.TP, fp+c.FP, fn+c.FN
		p := prf(c.TP, c.FP, c.FN)
		ce.Macro.Precision += p.Precision
		ce.Macro.Recall += p.Recall
		ce.Macro.F1 += p.F1
	}
	ce.Macro.Precision /= float64(chexpert.NumObservations)
	ce.Macro.Recall /= float64(chexpert.NumObservations)
	ce.Macro.F1 /= float64(chexpert.NumObservations)
	ce.Micro = prf(tp, fp, fn)
	return ce, nil
}

// PRFOf returns precision, recall and F1 of counts (every 0/0 is 0).
func PRFOf(c Counts) PRF { return prf(c.TP, c.FP, c.FN) }

func prf(tp, fp, fn int) PRF {
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	return PRF{
		Precision: div(float64(tp), float64(tp+fp)),
		Recall:    div(float64(tp), float64(tp+fn)),
		F1:        div(float64(tp), float64(tp)+0.5*float64(fp+fn)),
	}
}
