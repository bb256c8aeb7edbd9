package model

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Toy decoder: tokens 0 = EOS, 1..nWords words, nWords+1 = BOS. Its
// log-probabilities are a fixed pseudo-random function of the prefix.
const (
	toyWords = 3
	toyTok   = toyWords + 2
	toyBOS   = toyWords + 1
)

func toyLogProbs(prefix []int32, seed uint64) []float32 {
	h := seed*0x9e3779b97f4a7c15 + 1
	for _, w := range prefix {
		h = (h ^ uint64(w+1)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	logits := make([]float64, toyTok)
	for v := range logits {
		h = (h ^ uint64(v+7)) * 0x94d049bb133111eb
		h ^= h >> 29
		logits[v] = 3 * float64(h%1000) / 1000
	}
	mx := slices.Max(logits)
	var z float64
	for _, l := range logits {
		z += math.Exp(l - mx)
	}
	out := make([]float32, toyTok)
	for v, l := range logits {
		out[v] = float32(l - mx - math.Log(z))
	}
	return out
}

// toyStep also checks the parents a key/value cache would follow: a live
// row's first t-1 words are the words its parent row had at step t-1.
func toyStep(seed uint64) StepFunc {
	var prev [][]int32
	return func(t int, rows [][]int32, parents []int) ([]float32, error) {
		out := make([]float32, len(rows)*toyTok)
		for r, w := range rows {
			if w == nil {
				continue
			}
			if len(w) != t {
				return nil, fmt.Errorf("row %d has %d words at step %d", r, len(w), t)
			}
			if t > 0 {
				p := prev[parents[r]]
				if len(p) != t-1 || !slices.Equal(p, w[:t-1]) {
					return nil, fmt.Errorf("step %d: row %d = %v, but its parent row %d had %v", t, r, w, parents[r], p)
				}
			} else if parents[r] != r {
				return nil, fmt.Errorf("step 0: parents[%d] = %d", r, parents[r])
			}
			copy(out[r*toyTok:], toyLogProbs(w, seed))
		}
		prev = make([][]int32, len(rows))
		for r, w := range rows {
			prev[r] = slices.Clone(w)
		}
		return out, nil
	}
}

// refScore is the test's own scoring of one continuation: the processors
// written out independently of processScores.
func refScore(prefix []int32, tok int32, opts DecodeOptions, seed uint64) float64 {
	s := float64(toyLogProbs(prefix, seed)[tok])
	if opts.RepetitionPenalty > 1 && slices.Contains(prefix, tok) {
		s *= opts.RepetitionPenalty // log-probabilities are negative
	}
	if n := opts.NoRepeatNgram; n > 0 && tok != EOSID && len(prefix)+1 >= n {
		cand := append(append([]int32(nil), prefix...), tok)
		last := cand[len(cand)-n:]
		for i := 0; i+n <= len(prefix); i++ {
			if slices.Equal(prefix[i:i+n], last) {
				return math.Inf(-1)
			}
		}
	}
	return s
}

// exhaustive enumerates every report of at most maxWords words (EOS
// allowed after minLen words, forced after maxWords) and returns the best by
// sum/(len+1)^α.
func exhaustive(opts DecodeOptions, maxWords int, seed uint64) ([]int32, float64) {
	var best []int32
	bestScore := math.Inf(-1)
	var walk func(prefix []int32, sum float64)
	walk = func(prefix []int32, sum float64) {
		if len(prefix) >= opts.MinLen {
			s := sum + refScore(prefix, EOSID, opts, seed)
			s /= math.Pow(float64(len(prefix)+1), opts.LengthPenalty)
			if s > bestScore {
				best, bestScore = append([]int32{}, prefix...), s
			}
		}
		if len(prefix) == maxWords {
			return
		}
		for w := int32(1); w <= toyWords; w++ {
			s := refScore(prefix, w, opts, seed)
			if math.IsInf(s, -1) {
				continue
			}
			walk(append(append([]int32(nil), prefix...), w), sum+s)
		}
	}
	walk(nil, 0)
	return best, bestScore
}

// TestBeamSearchIsExhaustiveWithEnoughBeams: with k at least the number of
// live prefixes (3 words, at most 2 of them: 9 prefixes <= 16 beams) nothing
// is pruned and beam search finds the exhaustive optimum, for several
// length penalties, minimum lengths, repetition penalties and n-gram blocking.
func TestBeamSearchIsExhaustiveWithEnoughBeams(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts DecodeOptions
		max  int
	}{
		{"sum", DecodeOptions{Beam: 16, LengthPenalty: 0, RepetitionPenalty: 1}, 2},
		{"alpha1", DecodeOptions{Beam: 16, LengthPenalty: 1, RepetitionPenalty: 1}, 2},
		{"alpha2-minlen", DecodeOptions{Beam: 16, MinLen: 1, LengthPenalty: 2, RepetitionPenalty: 1}, 2},
		{"reppen", DecodeOptions{Beam: 16, LengthPenalty: 1, RepetitionPenalty: 1.8}, 2},
		{"unigram-block", DecodeOptions{Beam: 16, LengthPenalty: 1, RepetitionPenalty: 1, NoRepeatNgram: 1}, 2},
	} {
		for seed := uint64(1); seed <= 40; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", tc.name, seed), func(t *testing.T) {
				want, _ := exhaustive(tc.opts, tc.max, seed)
				got, err := BeamSearch(2, tc.opts, toyTok, toyBOS, tc.max, toyStep(seed))
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if !slices.Equal(got[i], want) {
						t.Errorf("study %d: beam %v, exhaustive %v", i, got[i], want)
					}
				}
			})
		}
	}
}

// TestBeamSearchDeepExhaustive: with word 3 banned, 2 words over 4 steps
// give at most 2^4 = 16 live prefixes, so 16 beams are exhaustive at depth
// 4; this exercises the stopping rule once k hypotheses have finished.
func TestBeamSearchDeepExhaustive(t *testing.T) {
	// Ban word 3 everywhere so that only 2 words remain (16 prefixes of 4 words).
	for seed := uint64(1); seed <= 30; seed++ {
		for _, alpha := range []float64{0, 0.5, 1, 3} {
			opts := DecodeOptions{Beam: 16, LengthPenalty: alpha, RepetitionPenalty: 1}
			toy := toyStep(seed)
			step := func(t int, rows [][]int32, parents []int) ([]float32, error) {
				out, err := toy(t, rows, parents)
				if err != nil {
					return nil, err
				}
				for r := range rows {
					out[r*toyTok+3] = float32(math.Inf(-1))
				}
				return out, err
			}
			got, err := BeamSearch(1, opts, toyTok, toyBOS, 4, step)
			if err != nil {
				t.Fatal(err)
			}
			// Exhaustive over words {1,2}.
			var best []int32
			bestScore := math.Inf(-1)
			var walk func(p []int32, sum float64)
			walk = func(p []int32, sum float64) {
				s := (sum + float64(toyLogProbs(p, seed)[EOSID])) / math.Pow(float64(len(p)+1), alpha)
				if s > bestScore {
					best, bestScore = append([]int32{}, p...), s
				}
				if len(p) == 4 {
					return
				}
				for w := int32(1); w <= 2; w++ {
					walk(append(append([]int32(nil), p...), w), sum+float64(toyLogProbs(p, seed)[w]))
				}
			}
			walk(nil, 0)
			if !slices.Equal(got[0], best) {
				t.Errorf("seed %d α=%g: beam %v, exhaustive %v", seed, alpha, got[0], best)
			}
		}
	}
}

// TestBeamSearchGreedy: with one beam it is greedy decoding.
func TestBeamSearchGreedy(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		opts := DecodeOptions{Beam: 1, MinLen: 2, LengthPenalty: 1, RepetitionPenalty: 1}
		got, err := BeamSearch(3, opts, toyTok, toyBOS, 6, toyStep(seed))
		if err != nil {
			t.Fatal(err)
		}
		var want []int32
		for len(want) < 6 {
			lp := toyLogProbs(want, seed)
			best := int32(-1)
			for v := int32(0); v < toyTok; v++ {
				if v == toyBOS || (v == EOSID && len(want) < opts.MinLen) {
					continue
				}
				if best < 0 || lp[v] > lp[best] {
					best = v
				}
			}
			if best == EOSID {
				break
			}
			want = append(want, best)
		}
		for i := range got {
			if !slices.Equal(got[i], want) {
				t.Errorf("seed %d study %d: beam-1 %v, greedy %v", seed, i, got[i], want)
			}
		}
	}
}

// fixedStep serves log-probabilities from a table keyed by the prefix.
func fixedStep(table map[string][]float32, nTok int) StepFunc {
	return func(t int, rows [][]int32, _ []int) ([]float32, error) {
		out := make([]float32, len(rows)*nTok)
		for r, w := range rows {
			if w == nil {
				continue
			}
			lp, ok := table[fmt.Sprint(w)]
			if !ok {
				return nil, fmt.Errorf("no entry for prefix %v", w)
			}
			copy(out[r*nTok:], lp)
		}
		return out, nil
	}
}

func lp(ps ...float64) []float32 {
	out := make([]float32, len(ps))
	for i, p := range ps {
		out[i] = float32(math.Log(p))
	}
	return out
}

// TestBeamSearchStopsOnlyWhenNoLiveBeamCanWin: with k = 2, the first step
// finishes the empty report (EOS at rank 0, p = 0.5; score log 0.5 / 1 =
// -0.69) and the second finishes [1] (rank 1; log(0.2·0.6)/2 = -1.06): two
// finished hypotheses, where a search that stops at k finished ones returns
// the empty report. But the live [2 1] (log 0.3 + log 0.95 = -1.25, at best
// -1.25/3 = -0.42 once ended) can still beat them, so the search goes on and
// returns [2 1] (-1.26/3 = -0.42).
func TestBeamSearchStopsOnlyWhenNoLiveBeamCanWin(t *testing.T) {
	// tokens: 0 EOS, 1, 2, 3 BOS.
	table := map[string][]float32{
		"[]":    lp(0.5, 0.2, 0.3, 1e-9),
		"[1]":   lp(0.6, 0.2, 0.2, 1e-9),
		"[2]":   lp(0.04, 0.95, 0.01, 1e-9),
		"[1 1]": lp(0.9, 0.05, 0.05, 1e-9),
		"[1 2]": lp(0.9, 0.05, 0.05, 1e-9),
		"[2 1]": lp(0.99, 0.005, 0.005, 1e-9),
		"[2 2]": lp(0.9, 0.05, 0.05, 1e-9),
	}
	opts := DecodeOptions{Beam: 2, LengthPenalty: 1, RepetitionPenalty: 1}
	got, err := BeamSearch(1, opts, 4, 3, 2, fixedStep(table, 4))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{2, 1}; !slices.Equal(got[0], want) {
		t.Errorf("got %v, want %v", got[0], want)
	}
}

func TestBannedNgramTokens(t *testing.T) {
	for _, tc := range []struct {
		words []int32
		n     int
		want  []int32
	}{
		{[]int32{5, 6, 7, 5, 6}, 3, []int32{7}},
		{[]int32{5, 6, 5, 6, 5}, 3, []int32{6}},
		{[]int32{5, 6, 5, 6, 5, 6}, 2, []int32{5, 5}},
		{[]int32{5, 6}, 3, nil},
		{[]int32{1, 2, 3}, 1, []int32{1, 2, 3}},
		{[]int32{1, 2, 1}, 2, []int32{2}},
		{[]int32{1, 2, 3}, 0, nil},
	} {
		if got := bannedNgramTokens(tc.words, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("bannedNgramTokens(%v, %d) = %v, want %v", tc.words, tc.n, got, tc.want)
		}
	}
}

func TestDecodeOptionsValidate(t *testing.T) {
	c := Config{MaxLen: 60}
	good := DefaultDecodeOptions()
	if err := good.Validate(c); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, mod := range map[string]func(*DecodeOptions){
		"beam0":        func(o *DecodeOptions) { o.Beam = 0 },
		"beam17":       func(o *DecodeOptions) { o.Beam = 17 },
		"minlen>max":   func(o *DecodeOptions) { o.MinLen = 1000 },
		"minlen>maxw":  func(o *DecodeOptions) { o.MaxLen = 5; o.MinLen = 6 },
		"maxlen":       func(o *DecodeOptions) { o.MaxLen = 60 },
		"rep<1":        func(o *DecodeOptions) { o.RepetitionPenalty = 0.5 },
		"repNaN":       func(o *DecodeOptions) { o.RepetitionPenalty = math.NaN() },
		"lpNaN":        func(o *DecodeOptions) { o.LengthPenalty = math.NaN() },
		"lpNeg":        func(o *DecodeOptions) { o.LengthPenalty = -1 },
		"lpInf":        func(o *DecodeOptions) { o.LengthPenalty = math.Inf(1) },
		"ngramNeg":     func(o *DecodeOptions) { o.NoRepeatNgram = -1 },
		"ngramTooLong": func(o *DecodeOptions) { o.NoRepeatNgram = 60 },
	} {
		o := good
		mod(&o)
		if err := o.Validate(c); err == nil {
			t.Errorf("%s: %+v accepted", name, o)
		}
	}
}
