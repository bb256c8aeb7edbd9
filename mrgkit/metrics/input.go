package metrics

import (
	"fmt"
	"sort"
)

// checkInput validates gts/res like pycocoevalcap's asserts (same ids, one
// hypothesis per id, at least one reference) and returns the ids sorted.
func checkInput(gts, res map[string][]string) ([]string, error) {
	if len(gts) == 0 || len(res) == 0 {
		return nil, fmt.Errorf("metrics: nothing to score (%d references, %d hypotheses)", len(gts), len(res))
	}
	ids := make([]string, 0, len(gts))
	for id := range gts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		h, ok := res[id]
		if !ok {
			return nil, fmt.Errorf("metrics: id %q has references but no hypothesis", id)
		}
		if len(h) != 1 {
			return nil, fmt.Errorf("metrics: id %q has %d hypotheses, want exactly 1", id, len(h))
		}
		if len(gts[id]) == 0 {
			return nil, fmt.Errorf("metrics: id %q has no reference", id)
		}
	}
	if len(res) != len(gts) {
		extra := make([]string, 0)
		for id := range res {
			if _, ok := gts[id]; !ok {
				extra = append(extra, id)
			}
		}
		sort.Strings(extra)
		return nil, fmt.Errorf("metrics: id %q has a hypothesis but no references", extra[0])
	}
	return ids, nil
}
