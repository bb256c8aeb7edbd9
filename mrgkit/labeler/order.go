package labeler

import (
	"sort"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// CanonicalOrder reorders the sentences of a cleaned report (sentences
// separated by " . ", as data.CleanIU writes them) by the first CheXpert
// observation each sentence states, in chexpert.Observations order
// (mediastinum and heart, then the lungs, the pleura, bones and devices);
// sentences that state none keep their place relative to each other, after
// the others. The words of every sentence are unchanged, and so are the
// report's labels: only the order in which findings are stated is fixed,
// which lets a decoder learn which finding comes next from its prompts.
// Empty sentences are dropped.
func CanonicalOrder(report string) string {
	ss := orderedSentences(report)
	if ss == nil {
		return strings.TrimSpace(report)
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.text
	}
	return strings.Join(parts, " . ") + " ."
}

// PlannedOrder is CanonicalOrder with each sentence prefixed by the plan
// word of the observation it states first (chexpert.PlanWord; sentences
// that state none get the plain plan word): the decoder's training target
// for report_order=planned.
func PlannedOrder(report string) string {
	ss := orderedSentences(report)
	if ss == nil {
		return strings.TrimSpace(report)
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = chexpert.PlanWord(s.key) + " " + s.text
	}
	return strings.Join(parts, " . ") + " ."
}

type keyedSentence struct {
	text string
	key  int // first observation stated (No Finding excluded), NumObservations if none
}

// orderedSentences splits a cleaned report into sentences sorted (stably)
// by the first observation each states; nil if it has none.
func orderedSentences(report string) []keyedSentence {
	var ss []keyedSentence
	for _, s := range strings.Split(report, ".") {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			continue
		}
		key := chexpert.NumObservations
		l := Label(s)
		for o := range chexpert.NumObservations {
			if o != chexpert.NoFinding && l[o] != chexpert.Blank {
				key = o
				break
			}
		}
		ss = append(ss, keyedSentence{s, key})
	}
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].key < ss[b].key })
	return ss
}
