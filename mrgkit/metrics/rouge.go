package metrics

// rougeBeta is pycocoevalcap's ROUGE-L beta (recall weighted 1.2^2 times precision).
const rougeBeta = 1.2

// RougeL returns pycocoevalcap's ROUGE-L: per hypothesis, tokens from
// str.split(" ") (empty tokens kept), the longest common subsequence with
// each reference, the maxima over references of precision and recall taken
// separately, F with beta 1.2, averaged over hypotheses.
func RougeL(gts, res map[string][]string) (float64, error) {
	ids, err := checkInput(gts, res)
	if err != nil {
		return 0, err
	}
	return mean(rougeStudies(gts, res, ids)), nil
}

// rougeStudies returns each id's ROUGE-L F, in ids order.
func rougeStudies(gts, res map[string][]string, ids []string) []float64 {
	scores := make([]float64, len(ids))
	var row []int
	for i, id := range ids {
		cand := spaceSplit(res[id][0])
		pMax, rMax := 0.0, 0.0
		for j, r := range gts[id] {
			ref := spaceSplit(r)
			var l int
			l, row = lcs(ref, cand, row)
			p := float64(l) / float64(len(cand))
			rc := float64(l) / float64(len(ref))
			if j == 0 || p > pMax {
				pMax = p
			}
			if j == 0 || rc > rMax {
				rMax = rc
			}
		}
		if pMax != 0 && rMax != 0 {
			b2 := rougeBeta * rougeBeta
			scores[i] = ((1 + b2) * pMax * rMax) / (rMax + b2*pMax)
		}
	}
	return scores
}

// lcs returns the length of the longest common subsequence of a and b,
// reusing buf as the DP row.
func lcs(a, b []string, buf []int) (int, []int) {
	if len(a) < len(b) {
		a, b = b, a
	}
	if cap(buf) < len(b)+1 {
		buf = make([]int, len(b)+1)
	}
	row := buf[:len(b)+1]
	for j := range row {
		row[j] = 0
	}
	for i := 1; i <= len(a); i++ {
		diag := 0 // row[j-1] of the previous i
		for j := 1; j <= len(b); j++ {
			up := row[j]
			if a[i-1] == b[j-1] {
				row[j] = diag + 1
			} else if row[j-1] > up {
				row[j] = row[j-1]
			}
			diag = up
		}
	}
	return row[len(b)], buf
}

// mean is numpy.mean's pairwise summation for float64 (blocks of 128 summed
// with 8 accumulators, halves above that), so corpus means agree with
// pycocoevalcap to the last bits as far as possible.
func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return pairwiseSum(x) / float64(len(x))
}

func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-(n%8); i += 8 {
			for k := 0; k < 8; k++ {
				r[k] += x[i+k]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(x[:n2]) + pairwiseSum(x[n2:])
	}
}
