package eval

import (
	"sort"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/labeler"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
)

// Baseline is a constant-report baseline scored on a split.
type Baseline struct {
	Name    string             `json:"name"`
	Report  string             `json:"report"`
	Metrics map[string]float64 `json:"metrics"`
}

// ConstantReport scores `report` as the hypothesis for every reference
// (METEOR too when withMeteor).
func ConstantReport(name, report string, refs map[string]string, withMeteor bool) (Baseline, error) {
	if len(refs) == 0 {
		return Baseline{}, errors.New("no references")
	}
	gts := map[string][]string{}
	res := map[string][]string{}
	var rl, hl []chexpert.Labels
	hyp := labeler.Label(report)
	ids := make([]string, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		gts[id] = []string{refs[id]}
		res[id] = []string{report}
		rl = append(rl, labeler.Label(refs[id]))
		hl = append(hl, hyp)
	}
	score := metrics.ScoreNLG
	if withMeteor {
		score = metrics.Score
	}
	nlg, err := score(gts, res)
	if err != nil {
		return Baseline{}, err
	}
	ce, err := metrics.ClinicalEfficacy(rl, hl)
	if err != nil {
		return Baseline{}, err
	}
	return Baseline{Name: name, Report: report, Metrics: Flatten(nlg, ce)}, nil
}

// Baselines returns the two constant-report baselines of a split: the most
// frequent training report ("most frequent report", the NLG baseline) and,
// among the `candidates` most frequent training reports, the one with the
// best clinical-efficacy micro-F1 against the TRAINING reports ("best
// constant report"; ties to the more frequent). Both are chosen without
// looking at the split, then scored on it (refs).
func Baselines(trainReports []string, refs map[string]string, candidates int) ([]Baseline, error) {
	if len(trainReports) == 0 {
		return nil, errors.New("no training reports")
	}
	count := map[string]int{}
	for _, r := range trainReports {
		count[r]++
	}
	uniq := make([]string, 0, len(count))
	for r := range count {
		uniq = append(uniq, r)
	}
	sort.Slice(uniq, func(a, b int) bool {
		if count[uniq[a]] != count[uniq[b]] {
			return count[uniq[a]] > count[uniq[b]]
		}
		return uniq[a] < uniq[b]
	})
	mf, err := ConstantReport("most frequent report", uniq[0], refs, true)
	if err != nil {
		return nil, err
	}
	trainLabels := make([]chexpert.Labels, len(trainReports))
	for i, r := range trainReports {
		trainLabels[i] = labeler.Label(r)
	}
	bestReport, bestF1 := uniq[0], -1.0
	hyps := make([]chexpert.Labels, len(trainReports))
	for _, r := range uniq[:min(len(uniq), max(candidates, 1))] {
		l := labeler.Label(r)
		for i := range hyps {
			hyps[i] = l
		}
		ce, err := metrics.ClinicalEfficacy(trainLabels, hyps)
		if err != nil {
			return nil, err
		}
		if ce.Micro.F1 > bestF1 {
			bestReport, bestF1 = r, ce.Micro.F1
		}
	}
	best := mf
	best.Name = "best constant report"
	if bestReport != mf.Report {
		if best, err = ConstantReport("best constant report", bestReport, refs, true); err != nil {
			return nil, err
		}
	}
	return []Baseline{mf, best}, nil
}
