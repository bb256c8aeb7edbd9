// Package labeler is a rule-based CheXpert-style labeler: it reads a
// radiology report and returns the 14 CheXpert observation states.
//
// Reports are lower-cased and split into sentences; mention phrases are
// found per observation (longest match first); each mention is classified
// by cues in its clause: uncertainty that contains a negation word
// ("cannot exclude"), then negation ("no", "without", "free of", "not
// seen", ...), then uncertainty ("possible", "may", "likely", "suggest",
// "concerning for", "versus", ...). Structures (heart, mediastinum, lungs)
// take their state from descriptors: "heart size is normal" makes
// Cardiomegaly negative, "the heart is enlarged" positive, "heart size is
// stable" uncertain (CheXpert's convention). Several mentions of one
// observation combine as in CheXpert: positive over uncertain over negative.
// No Finding is positive when no observation other than Support Devices is
// positive or uncertain, and blank otherwise (chexpert.Labels.ApplyNoFinding;
// see BlankNoFindingOnOtherFindings for the CheXpert labeler's stricter rule).
package labeler

import (
	"runtime"
	"strings"
	"sync"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// BlankNoFindingOnOtherFindings makes No Finding blank also when an
// abnormality outside the 14 (emphysema, granuloma, calcification,
// degenerative change, scoliosis, ...) is positive or uncertain, as the
// CheXpert labeler does. Off by default: the kit's rule (METHOD.md,
// chexpert.Labels.ApplyNoFinding, the synthetic generator) looks only at the
// 13 other observations.
var BlankNoFindingOnOtherFindings = false

// Label returns the 14 CheXpert states of one report.
func Label(report string) chexpert.Labels {
	var st [chexpert.NumObservations]chexpert.State
	otherFound := false
	for _, sent := range sentences(report) {
		for _, m := range findMentions(sent) {
			s, ok := classify(sent, m)
			if !ok {
				continue
			}
			for _, o := range m.entry.obs {
				if o == other {
					if s == chexpert.Positive || s == chexpert.Uncertain {
						otherFound = true
					}
					continue
				}
				merge(&st[o], s)
			}
			if s == chexpert.Negative && m.entry.heartToo {
				merge(&st[chexpert.Cardiomegaly], chexpert.Negative)
			}
			// CheXpert: heart failure / CHF also means uncertain cardiomegaly.
			if m.isHeartFailure && (s == chexpert.Positive || s == chexpert.Uncertain) {
				merge(&st[chexpert.Cardiomegaly], chexpert.Uncertain)
			}
		}
	}
	var l chexpert.Labels
	copy(l[:], st[:])
	l.ApplyNoFinding()
	if otherFound && BlankNoFindingOnOtherFindings {
		l[chexpert.NoFinding] = chexpert.Blank
	}
	return l
}

// LabelAll labels many reports in parallel.
func LabelAll(reports map[string]string) map[string]chexpert.Labels {
	ids := make([]string, 0, len(reports))
	for id := range reports {
		ids = append(ids, id)
	}
	out := make([]chexpert.Labels, len(ids))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, len(ids))
	for i := range ids {
		next <- i
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = Label(reports[ids[i]])
			}
		}()
	}
	wg.Wait()
	res := make(map[string]chexpert.Labels, len(ids))
	for i, id := range ids {
		res[id] = out[i]
	}
	return res
}

// merge combines a new mention state into an observation's state:
// positive > uncertain > negative > blank (CheXpert's aggregation).
func merge(dst *chexpert.State, s chexpert.State) {
	rank := func(s chexpert.State) int {
		switch s {
		case chexpert.Positive:
			return 3
		case chexpert.Uncertain:
			return 2
		case chexpert.Negative:
			return 1
		}
		return 0
	}
	if rank(s) > rank(*dst) {
		*dst = s
	}
}

// sentences lower-cases a report and splits it into token lists, one per
// sentence. Sentences end at ". ", "?", "!", ";" and line breaks; a "." inside
// a number (1.5) does not end one. Hyphens and slashes become spaces; commas
// and "?" are kept as tokens.
func sentences(report string) [][]string {
	var out [][]string
	var cur []string
	var word strings.Builder
	flushWord := func() {
		if word.Len() > 0 {
			cur = append(cur, word.String())
			word.Reset()
		}
	}
	flushSent := func() {
		flushWord()
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	rs := []rune(report)
	for i, r := range rs {
		switch {
		case r >= 'A' && r <= 'Z':
			word.WriteRune(r + 'a' - 'A')
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'' && word.Len() > 0:
			word.WriteRune(r)
		case r == '.':
			if word.Len() > 0 && i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9' && isDigits(word.String()) {
				word.WriteRune(r)
				continue
			}
			flushSent()
		case r == ';' || r == '!' || r == '\n' || r == '\r':
			flushSent()
		case r == '?':
			flushWord()
			cur = append(cur, "?")
			flushSent()
		case r == ',' || r == ':':
			flushWord()
			cur = append(cur, ",")
		case r > 127 && (r >= 'À' && r <= 'ɏ'):
			word.WriteString(strings.ToLower(string(r)))
		default:
			flushWord()
		}
	}
	flushSent()
	return out
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
