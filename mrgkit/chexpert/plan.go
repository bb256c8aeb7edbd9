package chexpert

import (
	"strconv"
	"strings"
)

// Content-plan words: report_order=planned prefixes each sentence of a
// training report with the word of the observation it states first, so
// that the decoder writes its plan ("which finding next") as a token of its
// own; they are dropped when generated ids are turned into text.
const planPrefix = "<plan"

// PlanWord is the plan word of observation o (0..NumObservations-1), or of
// a sentence that states none (any other o).
func PlanWord(o int) string {
	if o < 0 || o >= NumObservations {
		return planPrefix + ">"
	}
	return planPrefix + strconv.Itoa(o) + ">"
}

// PlanWords lists every plan word.
func PlanWords() []string {
	out := make([]string, 0, NumObservations+1)
	for o := 0; o <= NumObservations; o++ {
		out = append(out, PlanWord(o))
	}
	return out
}

// IsPlanWord reports whether w is a plan word.
func IsPlanWord(w string) bool { return strings.HasPrefix(w, planPrefix) && strings.HasSuffix(w, ">") }
