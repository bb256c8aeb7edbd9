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
	type sent struct {
		text string
		key  int
	}
	var ss []sent
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
		ss = append(ss, sent{s, key})
	}
	if len(ss) == 0 {
		return strings.TrimSpace(report)
	}
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].key < ss[b].key })
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.text
	}
	return strings.Join(parts, " . ") + " ."
}
