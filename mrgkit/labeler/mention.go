package labeler

import (
	"sort"
	"strings"
	"sync"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

type ptok struct {
	s      string
	prefix bool
}

type compiled struct {
	toks  []ptok
	entry *phraseEntry
}

type matcher struct {
	byFirst  map[string][]compiled // exact first token
	prefixed []compiled            // first token is a prefix pattern
}

var (
	matcherOnce sync.Once
	theMatcher  *matcher
)

func getMatcher() *matcher {
	matcherOnce.Do(func() {
		m := &matcher{byFirst: map[string][]compiled{}}
		table := phraseTable()
		for i := range table {
			e := &table[i]
			var c compiled
			c.entry = e
			for _, w := range strings.Fields(e.phrase) {
				if strings.HasSuffix(w, "*") {
					c.toks = append(c.toks, ptok{strings.TrimSuffix(w, "*"), true})
				} else {
					c.toks = append(c.toks, ptok{w, false})
				}
			}
			if c.toks[0].prefix {
				m.prefixed = append(m.prefixed, c)
			} else {
				m.byFirst[c.toks[0].s] = append(m.byFirst[c.toks[0].s], c)
			}
		}
		longestFirst := func(cs []compiled) {
			sort.SliceStable(cs, func(i, j int) bool { return len(cs[i].toks) > len(cs[j].toks) })
		}
		for k := range m.byFirst {
			longestFirst(m.byFirst[k])
		}
		longestFirst(m.prefixed)
		theMatcher = m
	})
	return theMatcher
}

func (c compiled) matchAt(sent []string, i int) bool {
	if i+len(c.toks) > len(sent) {
		return false
	}
	for k, t := range c.toks {
		w := sent[i+k]
		if t.prefix {
			if !strings.HasPrefix(w, t.s) {
				return false
			}
		} else if w != t.s {
			return false
		}
	}
	return true
}

type mention struct {
	start, end     int
	entry          *phraseEntry
	isHeartFailure bool
}

// findMentions returns the mentions of a sentence, scanning left to right
// and taking the longest phrase at each position.
func findMentions(sent []string) []mention {
	m := getMatcher()
	var out []mention
	for i := 0; i < len(sent); {
		var best *compiled
		for _, c := range m.byFirst[sent[i]] {
			if c.matchAt(sent, i) {
				c := c
				best = &c
				break
			}
		}
		for _, c := range m.prefixed {
			if (best == nil || len(c.toks) > len(best.toks)) && c.matchAt(sent, i) {
				c := c
				best = &c
				break
			}
		}
		if best == nil {
			i++
			continue
		}
		e := best.entry
		out = append(out, mention{start: i, end: i + len(best.toks), entry: e,
			isHeartFailure: e.phrase == "heart failure" || e.phrase == "chf"})
		i += len(best.toks)
	}
	return out
}

// phraseAt reports whether the tokens at i spell the phrase.
func phraseAt(toks []string, i int, phrase []string) bool {
	if i+len(phrase) > len(toks) {
		return false
	}
	for k, w := range phrase {
		if toks[i+k] != w {
			return false
		}
	}
	return true
}

type cueList [][]string

func compileCues(list []string) cueList {
	out := make(cueList, len(list))
	for i, p := range list {
		out[i] = strings.Fields(p)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

var (
	cPreNegUnc     = compileCues(preNegUncertain)
	cNegPre        = compileCues(negationPre)
	cNegPost       = compileCues(negationPost)
	cUncPre        = compileCues(uncertainPre)
	cUncPost       = compileCues(uncertainPost)
	cNonAssertion  = compileCues(nonAssertion)
	cDescNormal    = compileCues(descNormal)
	cDescAbnormal  = compileCues(descAbnormal)
	cDescUncertain = compileCues(descUncertain)
)

// containsCue reports whether any cue occurs in toks. "no" followed by
// "change" (optionally "significant"/"interval" between) is not a negation.
func containsCue(toks []string, cues cueList) bool {
	for i := range toks {
		for _, c := range cues {
			if phraseAt(toks, i, c) {
				if c[0] == "no" && len(c) == 1 && isNoChange(toks, i) {
					continue
				}
				return true
			}
		}
	}
	return false
}

func isNoChange(toks []string, i int) bool {
	j := i + 1
	for j < len(toks) && (toks[j] == "significant" || toks[j] == "interval" || toks[j] == "definite") {
		j++
	}
	return j < len(toks) && (toks[j] == "change" || toks[j] == "changes")
}

// clauseStart returns where the clause holding position i begins, at most
// maxPre tokens before i.
func clauseStart(sent []string, i int) int {
	for k := i - 1; k >= 0 && k >= i-maxPre; k-- {
		if clauseBreakers[sent[k]] {
			return k
		}
		if sent[k] == "," && k+1 < i && commaBreakers[sent[k+1]] {
			return k + 1
		}
	}
	return max(0, i-maxPre)
}

// clauseEnd returns where the clause holding positions before i ends, at
// most maxPost tokens after i.
func clauseEnd(sent []string, i int) int {
	for k := i; k < len(sent) && k < i+maxPost; k++ {
		if clauseBreakers[sent[k]] {
			return k
		}
		if sent[k] == "," && k+1 < len(sent) && commaBreakers[sent[k+1]] {
			return k
		}
	}
	return min(len(sent), i+maxPost)
}

// The cue windows around a mention: its clause, cut at maxPre tokens before
// and maxPost after it. The cap keeps labelling linear in report length (a
// runaway generated report can be one clause of thousands of words); real
// clauses are far shorter.
const (
	maxPre  = 40
	maxPost = 14
)

// classify decides a mention's state; ok is false when it gives no label.
func classify(sent []string, m mention) (chexpert.State, bool) {
	e := m.entry
	if e.kind == excluded {
		return chexpert.Blank, false
	}
	start := clauseStart(sent, m.start)
	end := clauseEnd(sent, m.end)
	if end > m.end+maxPost {
		end = m.end + maxPost
	}
	// The post window stops at the next mention of a finding, unless only
	// "and"/"or"/"," separate them (a list shares its predicate).
	ms := findMentions(sent[m.end:end])
	for _, n := range ms {
		if n.entry.kind != finding {
			continue
		}
		onlyConj := true
		for _, w := range sent[m.end : m.end+n.start] {
			if w != "and" && w != "or" && w != "," {
				onlyConj = false
			}
		}
		if !onlyConj || e.kind == anatomy {
			end = m.end + n.start
			break
		}
	}
	pre, post := sent[start:m.start], sent[m.end:end]
	if e.kind == anatomy {
		return classifyAnatomy(sent, m, start, pre, post)
	}
	if containsCue(pre, cNonAssertion) {
		return chexpert.Blank, false
	}
	switch {
	case containsCue(pre, cPreNegUnc) || containsCue(post, cPreNegUnc):
		return chexpert.Uncertain, true
	case containsCue(pre, cNegPre) || containsCue(post, cNegPost) && !newSincePrior(post):
		return chexpert.Negative, true
	case containsCue(pre, cUncPre) || containsCue(post, cUncPost):
		return chexpert.Uncertain, true
	}
	return chexpert.Positive, true
}

// hedgedAbnormal reports an uncertainty cue followed later by an abnormal
// descriptor ("possibly mildly enlarged").
func hedgedAbnormal(toks []string) bool {
	hedge := false
	for i := range toks {
		if !hedge && containsCue(toks[i:i+1], cUncPre) {
			hedge = true
			continue
		}
		if hedge {
			if c, _ := descriptorAt(toks, i); c == descAbn {
				return true
			}
		}
	}
	return false
}

// newSincePrior: "opacity, not visualized on prior" reports a new finding,
// not an absent one.
func newSincePrior(post []string) bool {
	for i := range post {
		if post[i] != "on" {
			continue
		}
		j := i + 1
		if j < len(post) && post[j] == "the" {
			j++
		}
		if j < len(post) && (post[j] == "prior" || post[j] == "previous" || post[j] == "comparison" || post[j] == "preceding") {
			return true
		}
	}
	return false
}

type descClass int8

const (
	descNone descClass = iota
	descNorm
	descAbn
	descUnc
)

// descriptorAt returns the class and length of the longest descriptor
// starting at i.
func descriptorAt(toks []string, i int) (descClass, int) {
	best, bl := descNone, 0
	for _, d := range []struct {
		c    descClass
		list cueList
	}{{descNorm, cDescNormal}, {descAbn, cDescAbnormal}, {descUnc, cDescUncertain}} {
		for _, p := range d.list {
			if len(p) > bl && phraseAt(toks, i, p) {
				best, bl = d.c, len(p)
			}
		}
	}
	return best, bl
}

func classifyAnatomy(sent []string, m mention, start int, pre, post []string) (chexpert.State, bool) {
	lungs := len(m.entry.obs) == 1 && m.entry.obs[0] == chexpert.LungOpacity
	accept := func(c descClass, toks []string, i, n int) bool {
		if c == descNone {
			return false
		}
		clear := false
		for _, w := range toks[i : i+n] {
			if w == "clear" {
				clear = true
			}
		}
		if lungs {
			return clear // "lungs are clear": only a clear lung is read
		}
		return !clear
	}
	class := descNone
	hedged := containsCue(pre, cUncPre)
	// Immediately before: "normal heart size", "enlarged cardiac silhouette".
	for k := len(pre) - 1; k >= 0 && k >= len(pre)-6 && class == descNone; k-- {
		for n := 1; n <= len(pre)-k; n++ {
			if c, l := descriptorAt(pre[k:], 0); l == n && accept(c, pre, k, l) {
				class = c
				break
			}
		}
	}
	if class == descNone {
		for i := 0; i < len(post); i++ {
			if c, l := descriptorAt(post, i); accept(c, post, i, l) {
				class = c
				break
			}
			if containsCue(post[i:i+1], cUncPre) {
				hedged = true
			}
		}
	}
	// "upper limits of normal, possibly mildly enlarged": a hedged
	// abnormal descriptor anywhere in the clause makes it uncertain.
	if class == descNorm && !lungs && hedgedAbnormal(post) {
		return chexpert.Uncertain, true
	}
	switch class {
	case descNorm:
		return chexpert.Negative, true
	case descAbn:
		if lungs {
			return chexpert.Blank, false
		}
		if hedged {
			return chexpert.Uncertain, true
		}
		return chexpert.Positive, true
	case descUnc:
		if lungs {
			return chexpert.Blank, false
		}
		return chexpert.Uncertain, true
	}
	return chexpert.Blank, false
}
