package metrics

import "slices"

// The first, quadratic implementation of the aligner (all candidate
// matches, a full copy of each partial alignment per branch), kept to test
// the faster one (meteor_align.go) against.

type partialAlignment struct {
	matches            []int32 // by reference position: 1 + index into the candidate list, 0 for none
	matches1, matches2 int
	all1, all2         int
	chunks             int
	idx                int
	lastMatchEnd       int
	distance           int
	used1, used2       []bool
}

func (p *partialAlignment) clone() *partialAlignment {
	q := *p
	q.matches = make([]int32, len(p.matches))
	copy(q.matches, p.matches)
	used := make([]bool, len(p.used1)+len(p.used2))
	copy(used, p.used1)
	copy(used[len(p.used1):], p.used2)
	q.used1, q.used2 = used[:len(p.used1):len(p.used1)], used[len(p.used1):]
	return &q
}

func (p *partialAlignment) isUsed(m *meteorMatch) bool {
	for i := 0; i < m.length; i++ {
		if p.used2[m.start+i] {
			return true
		}
	}
	for i := 0; i < m.matchLength; i++ {
		if p.used1[m.matchStart+i] {
			return true
		}
	}
	return false
}

func (p *partialAlignment) setUsed(m *meteorMatch) {
	for i := 0; i < m.length; i++ {
		p.used2[m.start+i] = true
	}
	for i := 0; i < m.matchLength; i++ {
		p.used1[m.matchStart+i] = true
	}
}

// take adds match m to the path's running totals, as the jar's search does.
func (p *partialAlignment) take(m *meteorMatch) {
	w := meteorSearchWeights[m.module]
	p.matches1 = int(float64(p.matches1) + float64(m.matchLength)*w)
	p.matches2 = int(float64(p.matches2) + float64(m.length)*w)
	p.all1 += m.matchLength
	p.all2 += m.length
	if p.lastMatchEnd != -1 && m.matchStart != p.lastMatchEnd {
		p.chunks++
	}
	p.idx = m.start + m.length
	p.lastMatchEnd = m.matchStart + m.matchLength
}

// lessPartial is the jar's PARTIAL_COMPARE_TOTAL: more (weighted) matches,
// then fewer chunks, then smaller distance.
func lessPartial(x, y *partialAlignment) bool {
	if d := (y.matches1 + y.matches2) - (x.matches1 + x.matches2); d != 0 {
		return d < 0
	}
	if x.chunks != y.chunks {
		return x.chunks < y.chunks
	}
	return x.distance < y.distance
}

func sortPartials(ps []*partialAlignment) {
	slices.SortStableFunc(ps, func(x, y *partialAlignment) int {
		switch {
		case lessPartial(x, y):
			return -1
		case lessPartial(y, x):
			return 1
		}
		return 0
	})
}

// alignNaive is the first implementation of align, kept to test the
// faster one against: it reproduces Meteor 1.5's Aligner.align: candidate matches from
// each module in turn, unambiguous ones fixed, then a beam search (width 40)
// over the reference positions, then chunk counting.
func (m *meteorScorer) alignNaive(w1, w2 []string) alignment {
	k1, k2 := make([]int32, len(w1)), make([]int32, len(w2))
	for i, w := range w1 {
		k1[i] = javaHash(w)
	}
	for i, w := range w2 {
		k2[i] = javaHash(w)
	}
	var all []meteorMatch
	cand := make([][]int32, len(w2)) // by reference position: indices into all
	cov1, cov2 := make([]int, len(w1)), make([]int, len(w2))
	add := func(mod, i, j int) {
		all = append(all, meteorMatch{start: j, length: 1, matchStart: i, matchLength: 1, module: mod})
		cand[j] = append(cand[j], int32(len(all)-1))
		cov1[i]++
		cov2[j]++
	}
	identical := len(w1) == len(w2)
	for i := range k1 {
		if identical && k1[i] != k2[i] {
			identical = false
		}
	}
	// Exact.
	for j := range k2 {
		for i := range k1 {
			if k1[i] == k2[j] {
				add(modExact, i, j)
			}
		}
	}
	if !identical {
		// Stem.
		s1, s2 := make([]int32, len(w1)), make([]int32, len(w2))
		for i, w := range w1 {
			s1[i] = javaHash(m.stem(w))
		}
		for i, w := range w2 {
			s2[i] = javaHash(m.stem(w))
		}
		for j := range s2 {
			for i := range s1 {
				if s1[i] == s2[j] && k1[i] != k2[j] {
					add(modStem, i, j)
				}
			}
		}
		// Synonym.
		if m.syn != nil {
			y1, y2 := make([][]int32, len(w1)), make([][]int32, len(w2))
			for i, w := range w1 {
				y1[i] = m.sets(w)
			}
			for i, w := range w2 {
				y2[i] = m.sets(w)
			}
			for j := range w2 {
				for i := range w1 {
					if k1[i] != k2[j] && intersects(y1[i], y2[j]) {
						add(modSynonym, i, j)
					}
				}
			}
		}
		// Paraphrase: no table available (see Meteor's doc comment).
	}

	start := &partialAlignment{matches: make([]int32, len(w2)), used1: make([]bool, len(w1)), used2: make([]bool, len(w2)), lastMatchEnd: -1}
	for i := range cand {
		if len(cand[i]) != 1 {
			continue
		}
		c := &all[cand[i][0]]
		overlap := false
		for j := 0; j < c.length; j++ {
			if cov2[i+j] != 1 {
				overlap = true
			}
		}
		for j := 0; j < c.matchLength; j++ {
			if cov1[c.matchStart+j] != 1 {
				overlap = true
			}
		}
		if !overlap {
			start.matches[i] = cand[i][0] + 1
			start.setUsed(c)
		}
	}
	best := resolveNaive(all, cand, start)

	a := alignment{len1: len(w1), len2: len(w2)}
	isF1, isF2 := make([]bool, len(w1)), make([]bool, len(w2))
	for i, w := range w1 {
		if m.funcWords[w] {
			isF1[i] = true
			a.func1++
		}
	}
	for i, w := range w2 {
		if m.funcWords[w] {
			isF2[i] = true
			a.func2++
		}
	}
	for _, ci := range best.matches {
		if ci == 0 {
			continue
		}
		c := &all[ci-1]
		for j := 0; j < c.matchLength; j++ {
			if isF1[c.matchStart+j] {
				a.function1[c.module]++
			} else {
				a.content1[c.module]++
			}
		}
		for j := 0; j < c.length; j++ {
			if isF2[c.start+j] {
				a.function2[c.module]++
			} else {
				a.content2[c.module]++
			}
		}
	}
	a.chunks = countChunks(all, best.matches)
	return a
}

// resolve is the jar's beam search, including its quirks (the skip path
// accumulates the distances of the branches taken from it).
func resolveNaive(all []meteorMatch, cand [][]int32, start *partialAlignment) *partialAlignment {
	next := []*partialAlignment{start}
	var paths []*partialAlignment
	for current := 0; current <= len(cand); current++ {
		paths = next
		next = nil
		sortPartials(paths)
		for rank := 0; rank < meteorBeam && rank < len(paths); rank++ {
			path := paths[rank]
			if current == len(cand) {
				if path.lastMatchEnd != -1 {
					path.chunks++
				}
				next = append(next, path)
				continue
			}
			if path.used2[current] {
				if current < path.idx {
					next = append(next, path)
				} else if mi := path.matches[path.idx]; mi != 0 {
					m := &all[mi-1]
					path.take(m)
					path.distance += absInt(m.start - m.matchStart)
					next = append(next, path)
				}
				continue
			}
			for _, ci := range cand[current] {
				m := &all[ci]
				if path.isUsed(m) {
					continue
				}
				np := path.clone()
				np.setUsed(m)
				np.matches[current] = ci + 1
				np.take(m)
				path.distance += absInt(m.start - m.matchStart)
				next = append(next, np)
			}
			if path.lastMatchEnd != -1 {
				path.chunks++
				path.lastMatchEnd = -1
			}
			path.idx++
			next = append(next, path)
		}
		if len(next) == 0 {
			next = append(next, paths[0])
		}
	}
	sortPartials(next)
	return next[0]
}
