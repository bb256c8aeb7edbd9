package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Paired tests between two systems A and B that wrote reports for the same
// studies against the same references.
//
// Every metric is a function of per-study sufficient statistics summed over
// the studies, so a resample only re-sums vectors; no text is re-scored:
//
//   - BLEU_1..4: clipped n-gram matches and guesses per order, hypothesis
//     length and closest reference length (corpus BLEU of the sums);
//   - METEOR: the jar's MeteorStats of the best reference (corpus METEOR of
//     the sums, chunks of perfect segments left out, as MeteorStats.addStats);
//   - ROUGE_L: the study's F (mean over studies);
//   - CIDEr: the study's CIDEr-D (mean over studies), with the document
//     frequencies of the references of ALL the studies scored, fixed over
//     resamples. The references do not change under approximate
//     randomization (only hypotheses are swapped), so there the choice is
//     exact; for the bootstrap it means the IDF weights are the population's,
//     not re-estimated from each resample (a resample with repeated studies
//     would otherwise count a reference's n-grams twice);
//   - CE: per observation TP, FP, FN (micro and macro F1 from the sums) and
//     the study's example F1 (mean over studies).
//
// The observed values equal Score's and ClinicalEfficacy's on the same input.

// PairedKeys are the keys Compare reports, in order: ScoreKeys, then the
// three CE F1s when labels are given.
var PairedKeys = append(append([]string{}, ScoreKeys...), CEKeys...)

// CEKeys are the clinical-efficacy keys of Compare (and of eval.Flatten).
var CEKeys = []string{"ce_micro_f1", "ce_macro_f1", "ce_example_f1"}

// PairedInput is the input of NewPaired. Refs, A and B are the gts/res maps
// of Score (same ids). The label maps are optional: all three or none; each
// must have every id.
type PairedInput struct {
	Refs, A, B                  map[string][]string
	RefLabels, ALabels, BLabels map[string]chexpert.Labels
	Meteor                      MeteorOptions
	// NoMETEOR leaves METEOR out (it is the slowest metric to prepare).
	NoMETEOR bool
}

// DefaultResamples is Compare's default number of shuffles and bootstrap
// resamples.
const DefaultResamples = 10000

// Comparison is one metric's paired comparison of A and B.
type Comparison struct {
	A, B float64
	// Diff is B - A.
	Diff float64
	// CI is the paired-bootstrap 95% percentile interval of B - A.
	CI [2]float64
	// P is the two-sided approximate-randomization p-value of B - A.
	P float64
}

// MarshalJSON writes {"a", "b", "diff", "ci": [lo, hi], "p"}.
func (c Comparison) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		A    float64    `json:"a"`
		B    float64    `json:"b"`
		Diff float64    `json:"diff"`
		CI   [2]float64 `json:"ci"`
		P    float64    `json:"p"`
	}{c.A, c.B, c.Diff, c.CI, c.P})
}

// UnmarshalJSON reads the MarshalJSON form.
func (c *Comparison) UnmarshalJSON(b []byte) error {
	var v struct {
		A    float64    `json:"a"`
		B    float64    `json:"b"`
		Diff float64    `json:"diff"`
		CI   [2]float64 `json:"ci"`
		P    float64    `json:"p"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Comparison{v.A, v.B, v.Diff, v.CI, v.P}
	return nil
}

// Column layout of a study's statistics vector.
const (
	colBleuCorrect = 0                  // 4 values
	colBleuGuess   = colBleuCorrect + 4 // 4 values
	colBleuTest    = colBleuGuess + 4
	colBleuRef     = colBleuTest + 1
	colMeteor      = colBleuRef + 1 // meteorCols values
	meteorCols     = 4 + 4*numModules + 3
	colRouge       = colMeteor + meteorCols
	colCider       = colRouge + 1
	colCE          = colCider + 1 // TP, FP, FN per observation, then example F1
	ceCols         = 3*chexpert.NumObservations + 1
	nlgCols        = colCE
	allCols        = colCE + ceCols
)

// Paired holds both systems' per-study statistics, ready to resample.
type Paired struct {
	IDs    []string
	Keys   []string // metrics, a subset of PairedKeys in its order
	cols   int
	a, b   []float64 // study i's vector at [i*cols, (i+1)*cols)
	meteor bool
}

// NewPaired validates the input (the error names the first mismatched id)
// and computes the per-study statistics of both systems.
func NewPaired(in PairedInput) (*Paired, error) {
	ids, err := checkInput(in.Refs, in.A)
	if err != nil {
		return nil, fmt.Errorf("system A: %w", err)
	}
	if _, err := checkInput(in.Refs, in.B); err != nil {
		return nil, fmt.Errorf("system B: %w", err)
	}
	withCE := in.RefLabels != nil || in.ALabels != nil || in.BLabels != nil
	p := &Paired{IDs: ids, cols: nlgCols, meteor: !in.NoMETEOR}
	if withCE {
		if in.RefLabels == nil || in.ALabels == nil || in.BLabels == nil {
			return nil, fmt.Errorf("metrics: CE needs reference, A and B labels (got %v, %v, %v)", in.RefLabels != nil, in.ALabels != nil, in.BLabels != nil)
		}
		for _, m := range []struct {
			name string
			l    map[string]chexpert.Labels
		}{{"reference", in.RefLabels}, {"A", in.ALabels}, {"B", in.BLabels}} {
			if err := sameIDSet(ids, m.l); err != nil {
				return nil, fmt.Errorf("metrics: %s labels: %w", m.name, err)
			}
		}
		p.cols = allCols
	}
	for _, k := range PairedKeys {
		if (k == "METEOR" && in.NoMETEOR) || (!withCE && isCEKey(k)) {
			continue
		}
		p.Keys = append(p.Keys, k)
	}
	var sc *meteorScorer
	if p.meteor {
		if sc, err = newMeteorScorer(in.Meteor); err != nil {
			return nil, err
		}
	}
	p.a = p.fill(in.Refs, in.A, in.RefLabels, in.ALabels, sc)
	p.b = p.fill(in.Refs, in.B, in.RefLabels, in.BLabels, sc)
	return p, nil
}

func isCEKey(k string) bool {
	for _, c := range CEKeys {
		if c == k {
			return true
		}
	}
	return false
}

// sameIDSet checks m has exactly ids (sorted) and names the first mismatch.
func sameIDSet(ids []string, m map[string]chexpert.Labels) error {
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			return fmt.Errorf("no labels for id %q", id)
		}
	}
	if len(m) != len(ids) {
		have := map[string]bool{}
		for _, id := range ids {
			have[id] = true
		}
		var extra []string
		for id := range m {
			if !have[id] {
				extra = append(extra, id)
			}
		}
		sort.Strings(extra)
		return fmt.Errorf("labels for id %q, which has no report", extra[0])
	}
	return nil
}

func (p *Paired) fill(gts, res map[string][]string, refL, hypL map[string]chexpert.Labels, sc *meteorScorer) []float64 {
	n, c := len(p.IDs), p.cols
	v := make([]float64, n*c)
	bleuStudies(gts, res, p.IDs, 4, func(i int, correct, guess []int, tl, rl int) {
		row := v[i*c:]
		for k := 0; k < 4; k++ {
			row[colBleuCorrect+k] = float64(correct[k])
			row[colBleuGuess+k] = float64(guess[k])
		}
		row[colBleuTest], row[colBleuRef] = float64(tl), float64(rl)
	})
	if sc != nil {
		for i, id := range p.IDs {
			st := sc.segment(res[id][0], gts[id])
			st.toRow(v[i*c+colMeteor:])
		}
	}
	for i, s := range rougeStudies(gts, res, p.IDs) {
		v[i*c+colRouge] = s
	}
	for i, s := range ciderStudies(gts, res, p.IDs) {
		v[i*c+colCider] = s
	}
	if c == allCols {
		const no = chexpert.NumObservations
		for i, id := range p.IDs {
			row := v[i*c+colCE:]
			r, h := refL[id], hypL[id]
			var tp, fp, fn int
			for o := 0; o < no; o++ {
				rp, hp := r[o] == chexpert.Positive, h[o] == chexpert.Positive
				switch {
				case rp && hp:
					row[o]++
					tp++
				case hp:
					row[no+o]++
					fp++
				case rp:
					row[2*no+o]++
					fn++
				}
			}
			row[3*no] = prf(tp, fp, fn).F1
		}
	}
	return v
}

// toRow writes the statistics the corpus score needs; the chunks of a
// perfect segment are left out, as MeteorStats.addStats does.
func (s *meteorStats) toRow(row []float64) {
	row[0], row[1], row[2], row[3] = s.testLen, s.refLen, s.testFunc, s.refFunc
	for i := 0; i < numModules; i++ {
		row[4+i], row[4+numModules+i] = s.tc[i], s.rc[i]
		row[4+2*numModules+i], row[4+3*numModules+i] = s.tf[i], s.rf[i]
	}
	if !s.perfect() {
		row[4+4*numModules] = s.chunks
	}
	row[5+4*numModules], row[6+4*numModules] = s.testWords, s.refWords
}

func meteorFromRow(row []float64) float64 {
	var s meteorStats
	s.testLen, s.refLen, s.testFunc, s.refFunc = row[0], row[1], row[2], row[3]
	for i := 0; i < numModules; i++ {
		s.tc[i], s.rc[i] = row[4+i], row[4+numModules+i]
		s.tf[i], s.rf[i] = row[4+2*numModules+i], row[4+3*numModules+i]
	}
	s.chunks = row[4+4*numModules]
	s.testWords, s.refWords = row[5+4*numModules], row[6+4*numModules]
	return s.score()
}

// values computes every metric of p.Keys from summed statistics of n
// studies into out (len(p.Keys)).
func (p *Paired) values(sum []float64, n float64, out []float64) {
	k := 0
	var correct, guess [4]int
	for j := 0; j < 4; j++ {
		correct[j] = int(math.Round(sum[colBleuCorrect+j]))
		guess[j] = int(math.Round(sum[colBleuGuess+j]))
	}
	b := bleuFromCounts(correct[:], guess[:], int(math.Round(sum[colBleuTest])), int(math.Round(sum[colBleuRef])))
	k += copy(out, b)
	if p.meteor {
		out[k] = meteorFromRow(sum[colMeteor:])
		k++
	}
	out[k], out[k+1] = sum[colRouge]/n, sum[colCider]/n
	k += 2
	if p.cols == allCols {
		const no = chexpert.NumObservations
		ce := sum[colCE:]
		var tp, fp, fn int
		macro := 0.0
		for o := 0; o < no; o++ {
			t, f, m := int(math.Round(ce[o])), int(math.Round(ce[no+o])), int(math.Round(ce[2*no+o]))
			tp, fp, fn = tp+t, fp+f, fn+m
			macro += prf(t, f, m).F1
		}
		out[k], out[k+1], out[k+2] = prf(tp, fp, fn).F1, macro/float64(no), ce[3*no]/n
	}
}

// Observed returns A's and B's values of p.Keys on all studies (equal to
// Score's and ClinicalEfficacy's).
func (p *Paired) Observed() (a, b []float64) {
	return p.observed(p.a), p.observed(p.b)
}

func (p *Paired) observed(v []float64) []float64 {
	n, c := len(p.IDs), p.cols
	sum := make([]float64, c)
	col := make([]float64, n)
	for j := 0; j < c; j++ {
		for i := 0; i < n; i++ {
			col[i] = v[i*c+j]
		}
		sum[j] = pairwiseSum(col) // numpy's order for the per-study means
	}
	out := make([]float64, len(p.Keys))
	p.values(sum, float64(n), out)
	return out
}

// Compare runs both tests with `resamples` shuffles and bootstrap resamples
// (DefaultResamples if <= 0) from a PCG generator seeded with seed, and
// returns one Comparison per key of p.Keys.
//
// Approximate randomization: each shuffle swaps A's and B's reports of
// every study with probability 1/2; p = (c + 1) / (R + 1), where c counts
// the shuffles whose |B' - A'| is at least the observed |B - A| (1e-12
// relative tolerance for rounding). When 2^studies <= R, all 2^studies
// assignments are enumerated instead and p = c / 2^studies exactly.
//
// Paired bootstrap: each resample draws the studies with replacement (the
// same draw for A and B); the CI is the 2.5% and 97.5% percentile (linear
// interpolation, numpy's default) of B' - A'.
func (p *Paired) Compare(resamples int, seed uint64) map[string]Comparison {
	if resamples <= 0 {
		resamples = DefaultResamples
	}
	obsA, obsB := p.Observed()
	nk := len(p.Keys)
	obs := make([]float64, nk)
	for k := range obs {
		obs[k] = obsB[k] - obsA[k]
	}
	pv := p.randomization(obs, resamples, rand.New(rand.NewPCG(seed, 0x6d7267636f6d7061)))
	ci := p.bootstrap(resamples, rand.New(rand.NewPCG(seed, 0x626f6f7473747270)))
	out := make(map[string]Comparison, nk)
	for k, key := range p.Keys {
		out[key] = Comparison{A: obsA[k], B: obsB[k], Diff: obs[k], CI: ci[k], P: pv[k]}
	}
	return out
}

func (p *Paired) randomization(obs []float64, resamples int, rng *rand.Rand) []float64 {
	n, c, nk := len(p.IDs), p.cols, len(p.Keys)
	nf := float64(n)
	// A' = sumA + sum over swapped studies of (b_i - a_i); B' = sumB - the same.
	sumA, sumB := make([]float64, c), make([]float64, c)
	delta := make([]float64, n*c)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			sumA[j] += p.a[i*c+j]
			sumB[j] += p.b[i*c+j]
			delta[i*c+j] = p.b[i*c+j] - p.a[i*c+j]
		}
	}
	// Studies whose statistics are equal in A and B cannot change anything.
	var active []int
	for i := 0; i < n; i++ {
		for _, d := range delta[i*c : (i+1)*c] {
			if d != 0 {
				active = append(active, i)
				break
			}
		}
	}
	thr := make([]float64, nk)
	for k, d := range obs {
		thr[k] = math.Abs(d) - 1e-12*math.Max(1, math.Abs(d))
	}
	count := make([]int, nk)
	acc := make([]float64, c)
	va, vb := make([]float64, nk), make([]float64, nk)
	ta, tb := make([]float64, c), make([]float64, c)
	trial := func() {
		for j := range acc {
			ta[j] = sumA[j] + acc[j]
			tb[j] = sumB[j] - acc[j]
		}
		p.values(ta, nf, va)
		p.values(tb, nf, vb)
		for k := range count {
			if math.Abs(vb[k]-va[k]) >= thr[k] {
				count[k]++
			}
		}
	}
	out := make([]float64, nk)
	if len(active) < 63 && 1<<len(active) <= resamples {
		// Exact: every assignment of the active studies (the others do not
		// matter), p = c / 2^active.
		total := 1 << len(active)
		for mask := 0; mask < total; mask++ {
			clear(acc)
			for bit, i := range active {
				if mask&(1<<bit) != 0 {
					addTo(acc, delta[i*c:(i+1)*c])
				}
			}
			trial()
		}
		for k := range out {
			out[k] = float64(count[k]) / float64(total)
		}
		return out
	}
	for r := 0; r < resamples; r++ {
		clear(acc)
		var bits uint64
		for bit, i := range active {
			if bit%64 == 0 {
				bits = rng.Uint64()
			}
			if bits&1 != 0 {
				addTo(acc, delta[i*c:(i+1)*c])
			}
			bits >>= 1
		}
		trial()
	}
	for k := range out {
		out[k] = float64(count[k]+1) / float64(resamples+1)
	}
	return out
}

func addTo(dst, src []float64) {
	for j, x := range src {
		dst[j] += x
	}
}

func (p *Paired) bootstrap(resamples int, rng *rand.Rand) [][2]float64 {
	n, c, nk := len(p.IDs), p.cols, len(p.Keys)
	nf := float64(n)
	// A and B side by side so one draw sums both.
	ab := make([]float64, n*2*c)
	for i := 0; i < n; i++ {
		copy(ab[i*2*c:], p.a[i*c:(i+1)*c])
		copy(ab[i*2*c+c:], p.b[i*c:(i+1)*c])
	}
	diffs := make([][]float64, nk)
	for k := range diffs {
		diffs[k] = make([]float64, resamples)
	}
	sum := make([]float64, 2*c)
	va, vb := make([]float64, nk), make([]float64, nk)
	for r := 0; r < resamples; r++ {
		clear(sum)
		for t := 0; t < n; t++ {
			i := rng.IntN(n)
			addTo(sum, ab[i*2*c:(i+1)*2*c])
		}
		p.values(sum[:c], nf, va)
		p.values(sum[c:], nf, vb)
		for k := range diffs {
			diffs[k][r] = vb[k] - va[k]
		}
	}
	out := make([][2]float64, nk)
	for k, d := range diffs {
		sort.Float64s(d)
		out[k] = [2]float64{percentile(d, 0.025), percentile(d, 0.975)}
	}
	return out
}

// percentile is numpy.percentile's default (linear) on sorted x.
func percentile(x []float64, q float64) float64 {
	pos := q * float64(len(x)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(x) {
		return x[len(x)-1]
	}
	f := pos - float64(lo)
	return x[lo] + f*(x[lo+1]-x[lo])
}

// Compare is NewPaired followed by Paired.Compare.
func Compare(in PairedInput, resamples int, seed uint64) (map[string]Comparison, error) {
	p, err := NewPaired(in)
	if err != nil {
		return nil, err
	}
	return p.Compare(resamples, seed), nil
}
