package metrics

import "fmt"

// Scores holds corpus NLG scores under the coco-caption names:
// BLEU_1 BLEU_2 BLEU_3 BLEU_4 METEOR ROUGE_L CIDEr.
type Scores map[string]float64

// ScoreKeys are the keys of a full Scores, in reporting order.
var ScoreKeys = []string{"BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr"}

// Score computes all seven metrics. gts and res must have the same ids, one
// hypothesis per id and at least one reference per id; the error names the
// first offending id. METEOR uses the default options (see MeteorWith).
func Score(gts, res map[string][]string) (Scores, error) {
	return ScoreWith(gts, res, MeteorOptions{})
}

// ScoreWith is Score with METEOR options.
func ScoreWith(gts, res map[string][]string, opt MeteorOptions) (Scores, error) {
	s, err := ScoreNLG(gts, res)
	if err != nil {
		return nil, err
	}
	m, err := MeteorWith(gts, res, opt)
	if err != nil {
		return nil, err
	}
	s["METEOR"] = m
	return s, nil
}

// ScoreNLG computes BLEU-1..4, ROUGE-L and CIDEr (no METEOR), the fast set
// for validation during training.
func ScoreNLG(gts, res map[string][]string) (Scores, error) {
	b, err := Bleu(gts, res, 4)
	if err != nil {
		return nil, err
	}
	r, err := RougeL(gts, res)
	if err != nil {
		return nil, err
	}
	c, err := CiderD(gts, res)
	if err != nil {
		return nil, err
	}
	s := Scores{"ROUGE_L": r, "CIDEr": c}
	for k := range b {
		s[fmt.Sprintf("BLEU_%d", k+1)] = b[k]
	}
	return s, nil
}

// FromLists builds gts/res maps from parallel slices of references and
// hypotheses (ids "0", "1", ...), as R2Gen's compute_scores does.
func FromLists(refs, hyps []string) (gts, res map[string][]string, err error) {
	if len(refs) != len(hyps) {
		return nil, nil, fmt.Errorf("metrics: %d references but %d hypotheses", len(refs), len(hyps))
	}
	gts = make(map[string][]string, len(refs))
	res = make(map[string][]string, len(refs))
	for i := range refs {
		id := fmt.Sprint(i)
		gts[id] = []string{refs[i]}
		res[id] = []string{hyps[i]}
	}
	return gts, res, nil
}
