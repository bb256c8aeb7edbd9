package metrics

import (
	"slices"
	"sort"
)

// Meteor module indices, in the order of the jar's English defaults.
const (
	modExact = iota
	modStem
	modSynonym
	modParaphrase
	numModules
)

// meteorSearchWeights are the weights the jar's scorer installs in its
// aligner for the search (exact 1, others 0.5). The search accumulates them
// into ints, so a lone non-exact one-word match adds 0 to a path's score.
var meteorSearchWeights = [numModules]float64{1.0, 0.5, 0.5, 0.5}

const meteorBeam = 40

// MeteorMaxCandidates caps the candidate matches the aligner considers for
// one reference word in one module (exact, stem, synonym): those whose
// hypothesis position is nearest the diagonal are kept. The jar considers
// all of them, which makes its search quadratic to cubic in report length on
// repetitive text ("heart heart heart ..."); below the cap the alignment is
// the jar's. Real reports are far below it; MeteorOptions.Capped counts the
// segments where it applied.
const MeteorMaxCandidates = 32

type meteorMatch struct {
	start, length           int // in the reference (line 2)
	matchStart, matchLength int // in the hypothesis (line 1)
	module                  int
}

// alignment is the outcome of aligning a hypothesis (1) to a reference (2).
type alignment struct {
	len1, len2           int
	func1, func2         int
	content1, content2   [numModules]int
	function1, function2 [numModules]int
	chunks               int
}

// meteorAlign reproduces Meteor 1.5's Aligner.align: candidate matches from
// each module in turn, unambiguous ones fixed, then a beam search (width 40)
// over the reference positions, then chunk counting. Candidates are found
// through indexes of the hypothesis (linear in the number of matches, not in
// the product of the lengths) and capped at MeteorMaxCandidates per
// reference word and module; capped reports whether the cap applied.
func (m *meteorScorer) align(w1, w2 []string) (a alignment, capped bool) {
	al := newAligner(w1, w2)
	al.exact()
	if !al.identical() {
		al.stems(m)
		if m.syn != nil {
			al.synonyms(m)
		}
		// Paraphrase: no table available (see Meteor's doc comment).
	}
	fixed, used1, used2 := al.fixUnambiguous()
	matches := resolve(al.all, al.cand, fixed, used1, used2)
	return al.tally(m, matches), al.capped
}

// aligner holds the candidate matches of one hypothesis (1) against one
// reference (2) while the modules add theirs.
type aligner struct {
	w1, w2     []string
	n1, n2     int
	k1, k2     []int32 // Java hashes of the words
	all        []meteorMatch
	cand       [][]int32 // by reference position: indices into all
	cov1, cov2 []int     // how many candidates cover each word
	capped     bool
	buf        []int32
}

func newAligner(w1, w2 []string) *aligner {
	al := &aligner{w1: w1, w2: w2, n1: len(w1), n2: len(w2)}
	al.k1, al.k2 = make([]int32, al.n1), make([]int32, al.n2)
	for i, w := range w1 {
		al.k1[i] = javaHash(w)
	}
	for i, w := range w2 {
		al.k2[i] = javaHash(w)
	}
	al.cand = make([][]int32, al.n2)
	al.cov1, al.cov2 = make([]int, al.n1), make([]int, al.n2)
	return al
}

// identical reports whether both sides have the same words (by hash).
func (al *aligner) identical() bool {
	if al.n1 != al.n2 {
		return false
	}
	for i := range al.k1 {
		if al.k1[i] != al.k2[i] {
			return false
		}
	}
	return true
}

// add records one-word matches of reference word j to hypothesis positions is.
func (al *aligner) add(mod int, j int, is []int32) {
	for _, i := range is {
		al.all = append(al.all, meteorMatch{start: j, length: 1, matchStart: int(i), matchLength: 1, module: mod})
		al.cand[j] = append(al.cand[j], int32(len(al.all)-1))
	}
}

// window caps the candidates of reference word j at the MeteorMaxCandidates
// nearest the diagonal.
func (al *aligner) window(is []int32, j int) []int32 {
	if len(is) <= MeteorMaxCandidates {
		return is
	}
	al.capped = true
	d := int32(0)
	if al.n2 > 1 {
		d = int32(int64(j) * int64(al.n1-1) / int64(al.n2-1))
	}
	return nearest(is, d, MeteorMaxCandidates)
}

// exact adds the exact matches.
func (al *aligner) exact() {
	exactPos := map[int32][]int32{}
	for i, k := range al.k1 {
		exactPos[k] = append(exactPos[k], int32(i))
	}
	refExact := map[int32]int{}
	for _, k := range al.k2 {
		refExact[k]++
	}
	for i, k := range al.k1 {
		al.cov1[i] += refExact[k]
	}
	for j, k := range al.k2 {
		is := exactPos[k]
		al.cov2[j] += len(is)
		al.add(modExact, j, al.window(is, j))
	}
}

// stems adds the stem matches: same stem, different word. The hypothesis
// positions of a stem are grouped by word (each group ascending).
func (al *aligner) stems(m *meteorScorer) {
	k1, k2 := al.k1, al.k2
	s1, s2 := make([]int32, al.n1), make([]int32, al.n2)
	for i, w := range al.w1 {
		s1[i] = javaHash(m.stem(w))
	}
	for i, w := range al.w2 {
		s2[i] = javaHash(m.stem(w))
	}
	type group struct {
		word int32
		pos  []int32
	}
	groups := map[int32][]group{}
	for i := range k1 {
		gs := groups[s1[i]]
		found := false
		for g := range gs {
			if gs[g].word == k1[i] {
				gs[g].pos = append(gs[g].pos, int32(i))
				found = true
				break
			}
		}
		if !found {
			gs = append(gs, group{word: k1[i], pos: []int32{int32(i)}})
		}
		groups[s1[i]] = gs
	}
	type pair struct{ s, k int32 }
	refStem, refPair := map[int32]int{}, map[pair]int{}
	for j := range k2 {
		refStem[s2[j]]++
		refPair[pair{s2[j], k2[j]}]++
	}
	for i := range k1 {
		al.cov1[i] += refStem[s1[i]] - refPair[pair{s1[i], k1[i]}]
	}
	buf := al.buf
	for j := range k2 {
		buf = buf[:0]
		total := 0
		for _, g := range groups[s2[j]] {
			if g.word == k2[j] {
				continue
			}
			total += len(g.pos)
			buf = append(buf, al.window(g.pos, j)...)
		}
		if total == 0 {
			continue
		}
		al.cov2[j] += total
		slices.Sort(buf)
		al.add(modStem, j, al.window(buf, j))
	}
	al.buf = buf
}

// synonyms adds the synonym matches: words sharing a synset, with
// different hashes.
func (al *aligner) synonyms(m *meteorScorer) {
	y1, y2 := make([][]int32, al.n1), make([][]int32, al.n2)
	synPos := map[int32][]int32{}
	for i, w := range al.w1 {
		y1[i] = m.sets(w)
		for _, id := range y1[i] {
			synPos[id] = append(synPos[id], int32(i))
		}
	}
	refSynPos := map[int32][]int32{}
	for j, w := range al.w2 {
		y2[j] = m.sets(w)
		for _, id := range y2[j] {
			refSynPos[id] = append(refSynPos[id], int32(j))
		}
	}
	// matchesOf lists (ascending, once each) the positions on the other
	// side sharing a synset with a word of sets ys and a different hash
	// than k.
	stamp := make([]int, max(al.n1, al.n2))
	for i := range stamp {
		stamp[i] = -1
	}
	matchesOf := func(self int, ys []int32, k int32, index map[int32][]int32, keys []int32, out []int32) []int32 {
		out = out[:0]
		for _, id := range ys {
			for _, o := range index[id] {
				if stamp[o] != self && keys[o] != k {
					stamp[o] = self
					out = append(out, o)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	buf := al.buf
	for i := range al.w1 {
		buf = matchesOf(i, y1[i], al.k1[i], refSynPos, al.k2, buf)
		al.cov1[i] += len(buf)
	}
	for i := range stamp {
		stamp[i] = -1
	}
	for j := range al.w2 {
		buf = matchesOf(j, y2[j], al.k2[j], synPos, al.k1, buf)
		al.cov2[j] += len(buf)
		al.add(modSynonym, j, al.window(buf, j))
	}
	al.buf = buf
}

// fixUnambiguous fixes the matches that are the only candidate of both
// their words, as the jar does before its search.
func (al *aligner) fixUnambiguous() (startMatches []int32, used1 pset, used2 []bool) {
	startMatches = make([]int32, al.n2)
	u1, u2 := make([]bool, al.n1), make([]bool, al.n2)
	for j := range al.cand {
		if al.cov2[j] != 1 {
			continue
		}
		c := &al.all[al.cand[j][0]]
		if al.cov1[c.matchStart] == 1 {
			startMatches[j] = al.cand[j][0] + 1
			u1[c.matchStart], u2[j] = true, true
		}
	}
	return startMatches, newPSet(u1), u2
}

// tally counts the content and function words each module matched, and the
// chunks.
func (al *aligner) tally(m *meteorScorer, matches []int32) alignment {
	a := alignment{len1: al.n1, len2: al.n2}
	isF1, isF2 := make([]bool, al.n1), make([]bool, al.n2)
	for i, w := range al.w1 {
		if m.funcWords[w] {
			isF1[i] = true
			a.func1++
		}
	}
	for i, w := range al.w2 {
		if m.funcWords[w] {
			isF2[i] = true
			a.func2++
		}
	}
	for _, ci := range matches {
		if ci == 0 {
			continue
		}
		c := &al.all[ci-1]
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
	a.chunks = countChunks(al.all, matches)
	return a
}

// nearest returns, ascending, the k values of the ascending list is nearest
// to d (ties to the smaller).
func nearest(is []int32, d int32, k int) []int32 {
	hi := sort.Search(len(is), func(x int) bool { return is[x] >= d })
	lo := hi - 1
	for hi-lo-1 < k {
		switch {
		case lo < 0:
			hi++
		case hi >= len(is):
			lo--
		case d-is[lo] <= is[hi]-d:
			lo--
		default:
			hi++
		}
	}
	return is[lo+1 : hi]
}

// intersects reports whether two sorted id lists share an element.
func intersects(a, b []int32) bool {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// pset is a persistent set of hypothesis positions: sets share the leaves
// they have in common, so adding one position copies one leaf and the
// (short) list of leaves, not the whole set.
type pset []*psetLeaf

type psetLeaf [16]uint64 // 1024 positions

func newPSet(used []bool) pset {
	s := make(pset, (len(used)+1023)/1024)
	for i, u := range used {
		if u {
			if s[i>>10] == nil {
				s[i>>10] = &psetLeaf{}
			}
			s[i>>10][(i>>6)&15] |= 1 << (i & 63)
		}
	}
	return s
}

func (s pset) has(i int) bool {
	l := s[i>>10]
	return l != nil && l[(i>>6)&15]&(1<<(i&63)) != 0
}

func (s pset) with(i int) pset {
	var t pset
	var l *psetLeaf
	if len(s) == 1 { // hypotheses up to 1024 words: one allocation
		one := &struct {
			p [1]*psetLeaf
			l psetLeaf
		}{}
		t, l = one.p[:], &one.l
	} else {
		t, l = make(pset, len(s)), &psetLeaf{}
		copy(t, s)
	}
	if s[i>>10] != nil {
		*l = *s[i>>10]
	}
	l[(i>>6)&15] |= 1 << (i & 63)
	t[i>>10] = l
	return t
}

// choice is one match a search path took, in a list newest first.
type choice struct {
	pos  int   // reference position
	ci   int32 // index into the candidate list
	prev *choice
}

// beamPath is a partial alignment of the jar's search. Its matches are the
// fixed ones plus its choices; its used hypothesis positions a pset; the
// reference positions it uses beyond the current one are the fixed ones.
type beamPath struct {
	choices            *choice
	used1              pset
	matches1, matches2 int
	chunks             int
	idx                int
	lastMatchEnd       int
	distance           int
}

// beamKey is what the jar's comparator looks at.
type beamKey struct{ matches, chunks, distance int }

// better is the jar's PARTIAL_COMPARE_TOTAL: more (weighted) matches, then
// fewer chunks, then smaller distance.
func (x beamKey) better(y beamKey) bool {
	if x.matches != y.matches {
		return x.matches > y.matches
	}
	if x.chunks != y.chunks {
		return x.chunks < y.chunks
	}
	return x.distance < y.distance
}

func (p *beamPath) key() beamKey {
	return beamKey{p.matches1 + p.matches2, p.chunks, p.distance}
}

// take adds match m to the path's running totals, as the jar's search does.
func (p *beamPath) take(m *meteorMatch) {
	w := meteorSearchWeights[m.module]
	p.matches1 = int(float64(p.matches1) + float64(m.matchLength)*w)
	p.matches2 = int(float64(p.matches2) + float64(m.length)*w)
	if p.lastMatchEnd != -1 && m.matchStart != p.lastMatchEnd {
		p.chunks++
	}
	p.idx = m.start + m.length
	p.lastMatchEnd = m.matchStart + m.matchLength
}

// successor is a path of the next beam, not built yet: either a path of
// the current beam going on (self) or a branch of parent taking match ci,
// with the branch's totals.
type successor struct {
	key                beamKey
	self, parent       *beamPath
	ci                 int32
	matches1, matches2 int
	order              int
}

// worse orders successors as the jar's stable sort does: by key, then by
// the order they were made in.
func (s *successor) worse(t *successor) bool { return s.compare(t) > 0 }

// compare is -1 where s comes before t in the next beam, +1 after (orders
// are unique, so 0 only for s itself).
func (s *successor) compare(t *successor) int {
	switch {
	case s.key.matches != t.key.matches:
		return cmpInt(t.key.matches, s.key.matches) // more first
	case s.key.chunks != t.key.chunks:
		return cmpInt(s.key.chunks, t.key.chunks)
	case s.key.distance != t.key.distance:
		return cmpInt(s.key.distance, t.key.distance)
	}
	return cmpInt(s.order, t.order)
}

func cmpInt(a, b int) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// branch is a new path and its last choice, allocated together.
type branch struct {
	path beamPath
	c    choice
}

// topK keeps the meteorBeam best successors (a max-heap on worse, so the
// worst kept is at the root).
type topK struct{ h []successor }

func (t *topK) offer(s successor) {
	if len(t.h) == meteorBeam {
		if !s.key.better(t.h[0].key) { // a tie loses: s was made later
			return
		}
		t.h[0] = s
		t.down(0)
		return
	}
	t.h = append(t.h, s)
	for i := len(t.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !t.h[p].worse(&t.h[i]) {
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
			continue
		}
		break
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		l, r, w := 2*i+1, 2*i+2, i
		if l < n && t.h[l].worse(&t.h[w]) {
			w = l
		}
		if r < n && t.h[r].worse(&t.h[w]) {
			w = r
		}
		if w == i {
			return
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// resolve is the jar's beam search, including its quirks (the skip path
// accumulates the distances of the branches taken from it). Only the
// meteorBeam best successors of each step are built, and building one costs
// a leaf of its pset, not a copy of the whole alignment. It returns the best
// alignment's match of each reference position (1 + candidate index, 0 for
// none).
func resolve(all []meteorMatch, cand [][]int32, fixed []int32, used1 pset, used2 []bool) []int32 {
	paths := []*beamPath{{used1: used1, lastMatchEnd: -1}}
	var next topK
	var rank []int8       // next.h's indices in beam order
	var spare []*beamPath // the slice of the beam before, reused
	order := 0
	for current := 0; current < len(cand); current++ {
		next.h = next.h[:0]
		for _, path := range paths {
			if used2[current] {
				if current < path.idx {
					next.offer(successor{key: path.key(), self: path, order: order})
					order++
				} else if mi := matchAt(path, fixed, path.idx); mi != 0 {
					m := &all[mi-1]
					path.take(m)
					path.distance += absInt(m.start - m.matchStart)
					next.offer(successor{key: path.key(), self: path, order: order})
					order++
				}
				continue
			}
			for _, ci := range cand[current] {
				m := &all[ci]
				if path.used1.has(m.matchStart) {
					continue
				}
				// The branch's totals, as take would make them.
				w := meteorSearchWeights[m.module]
				m1 := int(float64(path.matches1) + float64(m.matchLength)*w)
				m2 := int(float64(path.matches2) + float64(m.length)*w)
				chunks := path.chunks
				if path.lastMatchEnd != -1 && m.matchStart != path.lastMatchEnd {
					chunks++
				}
				next.offer(successor{key: beamKey{m1 + m2, chunks, path.distance}, parent: path, ci: ci, matches1: m1, matches2: m2, order: order})
				path.distance += absInt(m.start - m.matchStart)
				order++
			}
			if path.lastMatchEnd != -1 {
				path.chunks++
				path.lastMatchEnd = -1
			}
			path.idx++
			next.offer(successor{key: path.key(), self: path, order: order})
			order++
		}
		if len(next.h) == 0 {
			paths = paths[:1] // the jar keeps the best path of this step
			continue
		}
		// Sorted through indices: a successor is too big to move around.
		rank = rank[:0]
		for i := range next.h {
			rank = append(rank, int8(i))
		}
		slices.SortFunc(rank, func(a, b int8) int { return next.h[a].compare(&next.h[b]) })
		np := spare[:0]
		for _, i := range rank {
			s := &next.h[i]
			if s.self != nil {
				np = append(np, s.self)
				continue
			}
			m := &all[s.ci]
			b := &branch{c: choice{pos: current, ci: s.ci, prev: s.parent.choices}}
			b.path = beamPath{choices: &b.c, used1: s.parent.used1.with(m.matchStart),
				matches1: s.matches1, matches2: s.matches2, chunks: s.key.chunks, distance: s.key.distance,
				idx: m.start + m.length, lastMatchEnd: m.matchStart + m.matchLength}
			np = append(np, &b.path)
		}
		spare, paths = paths, np
	}
	for _, path := range paths {
		if path.lastMatchEnd != -1 {
			path.chunks++
		}
	}
	best := paths[0]
	for _, p := range paths[1:] {
		if p.key().better(best.key()) {
			best = p
		}
	}
	out := append([]int32(nil), fixed...)
	for c := best.choices; c != nil; c = c.prev {
		out[c.pos] = c.ci + 1
	}
	return out
}

// matchAt is the match of reference position pos on path: its own choice or
// a fixed one.
func matchAt(p *beamPath, fixed []int32, pos int) int32 {
	for c := p.choices; c != nil && c.pos >= pos; c = c.prev {
		if c.pos == pos {
			return c.ci + 1
		}
	}
	return fixed[pos]
}

func countChunks(all []meteorMatch, matches []int32) int {
	chunks, idx, last := 0, 0, -1
	for idx < len(matches) {
		if matches[idx] == 0 {
			if last != -1 {
				chunks++
				last = -1
			}
			idx++
			continue
		}
		m := &all[matches[idx]-1]
		if last != -1 && m.matchStart != last {
			chunks++
		}
		idx = m.start + m.length
		last = m.matchStart + m.matchLength
	}
	if last != -1 {
		chunks++
	}
	return chunks
}
