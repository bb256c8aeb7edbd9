package model

import (
	"math"
	"sort"
)

// StepFunc returns the next-token log-probabilities of every row of a beam
// search: rows[r] holds the words generated so far by row r (nil for a row
// that carries no live hypothesis; its output is ignored), and the result is
// row-major [len(rows) * nTok]. Every live row has exactly t words.
// parents[r] is the row that row r's hypothesis occupied at step t-1 (its
// first t-1 words are that row's words then), so that a decoder with a
// key/value cache can reorder it; at t = 0, and for rows without a live
// hypothesis, parents[r] = r.
type StepFunc func(t int, rows [][]int32, parents []int) ([]float32, error)

// BeamSearch decodes b studies with k = opts.Beam hypotheses each, with the
// semantics of Hugging Face's beam search (num_beams=k, early_stopping
// "never", length_penalty α, no_repeat_ngram_size, repetition_penalty):
//
//   - row r = i*k + j carries hypothesis j of study i; a study starts with
//     one live hypothesis (the empty report);
//   - each step scores every continuation of every live hypothesis, applies
//     the logit processors (BOS banned, EOS banned before MinLen words and
//     forced after maxWords words, repetition penalty once per distinct word
//     already generated, n-gram blocking), and ranks the 2k best
//     continuations of the study by their summed log-probability;
//   - walking that ranking, an EOS continuation finishes its hypothesis only
//     if it ranks among the first k (HF: beam_token_rank < num_beams); the
//     other continuations fill the k live hypotheses of the next step;
//   - a finished hypothesis scores sum_logprob / (words+1)^α (the +1 is the
//     EOS, as HF counts the decoder's start token); a study keeps its k best;
//   - a study stops when it has k finished hypotheses and no live one can
//     still beat the worst of them: log-probabilities are <= 0, so a live
//     sum s can at best reach s / (maxWords+1)^α for α > 0 and s/(t+2)^α
//     for α <= 0 (HF's early_stopping="never" bound), or when no live
//     hypothesis is left;
//   - k = 1 is greedy decoding (as HF's num_beams=1): the study ends when
//     EOS is its best continuation.
//
// It returns each study's best finished hypothesis (word ids, without EOS).
// With k at least the number of distinct prefixes it is exhaustive search.
func BeamSearch(b int, opts DecodeOptions, nTok, bosID, maxWords int, step StepFunc) ([][]int32, error) {
	s := newBeam(b, opts, nTok, bosID, maxWords)
	for t := 0; t <= maxWords; t++ {
		if !s.fillRows(t) {
			break
		}
		lp, err := step(t, s.rows, s.parents)
		if err != nil {
			return nil, err
		}
		for i := 0; i < b; i++ {
			if !s.done[i] {
				s.advance(i, t, lp)
			}
		}
	}
	return s.best(), nil
}

// hyp is one hypothesis of a beam.
type hyp struct {
	words []int32
	sum   float64 // summed (processed) log-probability
	score float64 // finished: sum / len^α
	from  int     // the row of its parent hypothesis at the previous step
}

// cand is one continuation of a live hypothesis, ranked by its summed
// log-probability.
type cand struct {
	parent int // index of the hypothesis in its study's live list
	tok    int32
	sum    float64
}

// beam is the state of a BeamSearch over b studies of k hypotheses each.
type beam struct {
	b, k, nTok, bosID, maxWords int
	opts                        DecodeOptions
	live, finished              [][]hyp
	done                        []bool
	rows                        [][]int32 // the step function's rows, b*k
	parents                     []int
	scores                      []float64 // processed log-probabilities of one row
	cands                       []cand
}

func newBeam(b int, opts DecodeOptions, nTok, bosID, maxWords int) *beam {
	k := opts.Beam
	s := &beam{b: b, k: k, nTok: nTok, bosID: bosID, maxWords: maxWords, opts: opts,
		live: make([][]hyp, b), finished: make([][]hyp, b), done: make([]bool, b),
		rows: make([][]int32, b*k), parents: make([]int, b*k), scores: make([]float64, nTok)}
	for i := range s.live {
		s.live[i] = []hyp{{words: []int32{}}} // non-nil: a live row
	}
	return s
}

// fillRows sets the rows and parents of step t from the live hypotheses;
// it reports whether any is left.
func (s *beam) fillRows(t int) bool {
	any := false
	for i := range s.rows {
		s.rows[i] = nil
		s.parents[i] = i
	}
	for i := 0; i < s.b; i++ {
		if s.done[i] {
			continue
		}
		for j, h := range s.live[i] {
			s.rows[i*s.k+j] = h.words
			if t > 0 {
				s.parents[i*s.k+j] = h.from
			}
			any = true
		}
	}
	return any
}

// advance takes study i one step with the step's log-probabilities lp:
// ranks the continuations, finishes or extends hypotheses, and decides
// whether the study is done.
func (s *beam) advance(i, t int, lp []float32) {
	k := s.k
	s.cands = s.cands[:0]
	for j, h := range s.live[i] {
		r := i*k + j
		processScores(s.scores, lp[r*s.nTok:(r+1)*s.nTok], h.words, t, s.opts, s.bosID, s.maxWords)
		for _, v := range topK(s.scores, 2*k) {
			s.cands = append(s.cands, cand{j, int32(v), h.sum + s.scores[v]})
		}
	}
	// Rank by summed log-probability; ties by parent then token, so the
	// search is deterministic.
	cands := s.cands
	sort.SliceStable(cands, func(a, c int) bool { return cands[a].sum > cands[c].sum })
	if len(cands) > 2*k {
		cands = cands[:2*k]
	}
	var next []hyp
	for rank, cd := range cands {
		parent := s.live[i][cd.parent]
		if cd.tok == EOSID {
			if rank >= k {
				continue
			}
			n := float64(len(parent.words) + 1)
			h := hyp{words: parent.words, sum: cd.sum, score: cd.sum / math.Pow(n, s.opts.LengthPenalty)}
			s.finished[i] = addFinished(s.finished[i], h, k, func(h hyp) float64 { return h.score })
			continue
		}
		w := make([]int32, len(parent.words)+1)
		copy(w, parent.words)
		w[len(parent.words)] = cd.tok
		next = append(next, hyp{words: w, sum: cd.sum, from: i*k + cd.parent})
		if len(next) == k {
			break
		}
	}
	s.live[i] = next
	s.done[i] = s.stops(i, t, next)
}

// stops reports whether study i is done after step t, next being its live
// hypotheses (best first).
func (s *beam) stops(i, t int, next []hyp) bool {
	switch {
	case len(next) == 0:
		return true
	case s.k == 1 && len(s.finished[i]) == 1:
		return true // greedy: the best continuation was EOS
	case len(s.finished[i]) >= s.k:
		best := next[0].sum // cands are sorted: the first live one is the best
		var bound float64
		if s.opts.LengthPenalty > 0 {
			bound = best / math.Pow(float64(s.maxWords+1), s.opts.LengthPenalty)
		} else {
			bound = best / math.Pow(float64(t+2), s.opts.LengthPenalty)
		}
		return s.finished[i][len(s.finished[i])-1].score >= bound
	}
	return false
}

// best returns each study's best finished hypothesis (word ids, no EOS).
func (s *beam) best() [][]int32 {
	out := make([][]int32, s.b)
	for i := range out {
		if len(s.finished[i]) > 0 {
			out[i] = s.finished[i][0].words
		} else if len(s.live[i]) > 0 { // unreachable: EOS is forced after maxWords words
			out[i] = s.live[i][0].words
		}
		if out[i] == nil {
			out[i] = []int32{}
		}
	}
	return out
}

// addFinished inserts h into the list sorted by score (best first), keeping
// at most k; among equal scores the earlier one stays first.
func addFinished[H any](list []H, h H, k int, score func(H) float64) []H {
	s := score(h)
	pos := len(list)
	for pos > 0 && score(list[pos-1]) < s {
		pos--
	}
	if pos >= k {
		return list
	}
	list = append(list, h)
	copy(list[pos+1:], list[pos:])
	list[pos] = h
	if len(list) > k {
		list = list[:k]
	}
	return list
}

// processScores applies the logit processors to one row's log-probabilities
// lp (the decoder's log-softmax) of a hypothesis with the given words, at
// step t (= len(words)), into out.
func processScores(out []float64, lp []float32, words []int32, t int, opts DecodeOptions, bosID, maxWords int) {
	for v := range out {
		out[v] = float64(lp[v])
	}
	out[bosID] = math.Inf(-1)
	if t < opts.MinLen {
		out[EOSID] = math.Inf(-1)
	}
	if t >= maxWords { // must end here
		for v := range out {
			if v != EOSID {
				out[v] = math.Inf(-1)
			}
		}
		return
	}
	if opts.RepetitionPenalty > 1 {
		// Once per distinct word (HF's RepetitionPenaltyLogitsProcessor):
		// log-probabilities are <= 0, so multiplying pushes them down.
		seen := make(map[int32]bool, len(words))
		for _, w := range words {
			if seen[w] {
				continue
			}
			seen[w] = true
			if out[w] < 0 {
				out[w] *= opts.RepetitionPenalty
			} else {
				out[w] /= opts.RepetitionPenalty
			}
		}
	}
	if n := opts.NoRepeatNgram; n > 0 {
		for _, w := range bannedNgramTokens(words, n) {
			out[w] = math.Inf(-1)
		}
	}
}

// bannedNgramTokens returns the words that would complete an n-gram already
// present in words (HF's no_repeat_ngram_size; R2Gen's block_trigrams for n=3).
func bannedNgramTokens(words []int32, n int) []int32 {
	t := len(words)
	if n <= 0 || t+1 < n {
		return nil
	}
	prefix := words[t-n+1:]
	var banned []int32
	for s := 0; s+n <= t; s++ {
		match := true
		for q := 0; q < n-1; q++ {
			if words[s+q] != prefix[q] {
				match = false
				break
			}
		}
		if match {
			banned = append(banned, words[s+n-1])
		}
	}
	return banned
}
