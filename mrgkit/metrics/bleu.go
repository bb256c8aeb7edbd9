package metrics

import (
	"fmt"
	"math"
)

// BLEU smoothing constants of pycocoevalcap's bleu_scorer.py.
const (
	bleuTiny  = 1e-15 // added to matched counts so a zero count still gives 0
	bleuSmall = 1e-9  // added to denominators
)

// Bleu returns corpus-level BLEU-1..n exactly as pycocoevalcap's Bleu(n)
// computes it: tokens from Python's str.split(), clipped n-gram counts summed
// over the corpus, per hypothesis the "closest" reference length (ties to the
// shorter), the scorer's smoothing constants (so a perfect match gives
// 0.9999999999..., not 1) and the brevity penalty exp(1-r/c) when c < r.
// n is 1..8.
func Bleu(gts, res map[string][]string, n int) ([]float64, error) {
	if n < 1 || n > maxOrder {
		return nil, fmt.Errorf("metrics: BLEU order %d out of range [1,%d]", n, maxOrder)
	}
	ids, err := checkInput(gts, res)
	if err != nil {
		return nil, err
	}
	correct := make([]int, n)
	guess := make([]int, n)
	testLen, refLen := 0, 0
	bleuStudies(gts, res, ids, n, func(_ int, c, g []int, tl, rl int) {
		for k := range c {
			correct[k] += c[k]
			guess[k] += g[k]
		}
		testLen += tl
		refLen += rl
	})
	return bleuFromCounts(correct, guess, testLen, refLen), nil
}

// bleuStudies calls fn with each id's BLEU sufficient statistics, in ids
// order: clipped matches and guesses per order (slices reused between
// calls), the hypothesis length and its "closest" reference length.
func bleuStudies(gts, res map[string][]string, ids []string, n int, fn func(i int, correct, guess []int, testLen, refLen int)) {
	v := vocab{}
	tab := newNgramTable()
	var maxRef []int // by n-gram id, reset after each hypothesis
	correct := make([]int, n)
	guess := make([]int, n)
	for i, id := range ids {
		clear(correct)
		clear(guess)
		hyp := v.ids(pySplit(res[id][0]))
		var refLens []int
		var touched []int32
		for _, r := range gts[id] {
			ref := v.ids(pySplit(r))
			refLens = append(refLens, len(ref))
			rc := tab.count(ref, n)
			if len(maxRef) < len(tab.order) {
				maxRef = append(maxRef, make([]int, len(tab.order)-len(maxRef)+len(maxRef))...)
			}
			for j, g := range rc.keys {
				if c := rc.counts[j]; c > maxRef[g] {
					if maxRef[g] == 0 {
						touched = append(touched, g)
					}
					maxRef[g] = c
				}
			}
		}
		// "closest": min over (|l - testlen|, l).
		best := refLens[0]
		for _, l := range refLens[1:] {
			d, bd := absInt(l-len(hyp)), absInt(best-len(hyp))
			if d < bd || (d == bd && l < best) {
				best = l
			}
		}
		for k := 1; k <= n; k++ {
			if g := len(hyp) - k + 1; g > 0 {
				guess[k-1] += g
			}
		}
		hc := tab.count(hyp, n)
		for j, g := range hc.keys {
			if int(g) < len(maxRef) {
				correct[tab.order[g]-1] += min(hc.counts[j], maxRef[g])
			}
		}
		for _, g := range touched {
			maxRef[g] = 0
		}
		fn(i, correct, guess, len(hyp), best)
	}
}

func bleuFromCounts(correct, guess []int, testLen, refLen int) []float64 {
	n := len(correct)
	out := make([]float64, n)
	b := 1.0
	for k := 0; k < n; k++ {
		b *= (float64(correct[k]) + bleuTiny) / (float64(guess[k]) + bleuSmall)
		out[k] = math.Pow(b, 1.0/float64(k+1))
	}
	ratio := (float64(testLen) + bleuTiny) / (float64(refLen) + bleuSmall)
	if ratio < 1 {
		bp := math.Exp(1 - 1/ratio)
		for k := range out {
			out[k] *= bp
		}
	}
	return out
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
