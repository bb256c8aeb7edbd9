package metrics

import "math"

// CIDEr-D constants of pycocoevalcap's Cider().
const (
	ciderN     = 4
	ciderSigma = 6.0
)

// CiderD returns pycocoevalcap's CIDEr (the CIDEr-D variant): tokens from
// str.split(), document frequencies counted over the reference sets being
// scored (one count per id), idf log(#ids) - log(max(1, df)), TF-IDF vectors
// per n-gram order 1..4, clipped similarity sum(min(h, r) * r) / (|h| |r|),
// a Gaussian penalty exp(-d^2 / (2 * 6^2)) on the length difference d, mean
// over orders, mean over references, x10, then the mean over ids.
//
// Like the reference, the "length" in the penalty is the number of bigrams
// (len(words)-1, 0 for fewer than two words), not the number of words.
// Where no reference has any word pycocoevalcap raises an error; CiderD
// returns 0 there.
func CiderD(gts, res map[string][]string) (float64, error) {
	ids, err := checkInput(gts, res)
	if err != nil {
		return 0, err
	}
	return mean(ciderStudies(gts, res, ids)), nil
}

// ciderStudies returns each id's CIDEr-D score, in ids order (all 0 where
// no reference has a word). The document frequencies come from the
// references of all ids.
//
// Two passes: the first interns every n-gram and counts the document
// frequencies, keeping only each text's word ids; the second counts each
// study's n-grams again and scores it. The n-gram counts of all studies
// are never held at once (they were most of `mrg score`'s memory on 100k
// studies).
func ciderStudies(gts, res map[string][]string, ids []string) []float64 {
	v := vocab{}
	tab := newNgramTable()
	type words struct {
		hyp  []int32
		refs [][]int32
	}
	items := make([]words, len(ids))
	var df []float64 // by n-gram id
	var seen []int   // by n-gram id: 1 + index of the last id that counted it
	anyRef := false
	for i, id := range ids {
		items[i].hyp = v.ids(pySplit(res[id][0]))
		tab.count(items[i].hyp, ciderN) // interned now, so the table stops growing
		items[i].refs = make([][]int32, len(gts[id]))
		for j, r := range gts[id] {
			items[i].refs[j] = v.ids(pySplit(r))
			c := tab.count(items[i].refs[j], ciderN)
			if grow := len(tab.order) - len(df); grow > 0 {
				df = append(df, make([]float64, grow)...)
				seen = append(seen, make([]int, grow)...)
			}
			for _, g := range c.keys {
				anyRef = true
				if seen[g] != i+1 {
					seen[g] = i + 1
					df[g]++
				}
			}
		}
	}
	if !anyRef {
		return make([]float64, len(ids))
	}
	seen = nil
	if grow := len(tab.order) - len(df); grow > 0 {
		df = append(df, make([]float64, grow)...)
	}
	refW := make([]float64, len(tab.order)) // scratch: reference weights by n-gram id
	has := make([]bool, len(tab.order))
	refLen := math.Log(float64(len(ids)))
	scores := make([]float64, len(ids))
	for i := range items {
		it := &items[i]
		vh := ciderVec(tab, tab.count(it.hyp, ciderN), df, refLen)
		var score [ciderN]float64
		for _, ref := range it.refs {
			s := ciderSim(tab, vh, ciderVec(tab, tab.count(ref, ciderN), df, refLen), refW, has)
			for k := range score {
				score[k] += s[k]
			}
		}
		avg := score[0] // np.mean over 4 values: sequential sum
		for k := 1; k < ciderN; k++ {
			avg += score[k]
		}
		avg /= ciderN
		avg /= float64(len(it.refs))
		avg *= 10.0
		scores[i] = avg
		*it = words{} // done with this study
	}
	return scores
}

// ciderVector is a TF-IDF vector (weights parallel to counts.keys), its norm
// per n-gram order and the reference code's "length" (the number of bigrams).
type ciderVector struct {
	counts *ngramCounts
	w      []float64
	norm   [ciderN]float64
	length int
}

func ciderVec(tab *ngramTable, counts *ngramCounts, df []float64, refLen float64) ciderVector {
	cv := ciderVector{counts: counts, w: make([]float64, len(counts.keys))}
	var sq [ciderN]float64
	for i, g := range counts.keys {
		tf := counts.counts[i]
		w := float64(tf) * (refLen - math.Log(math.Max(1, df[g])))
		cv.w[i] = w
		n := tab.order[g]
		sq[n-1] += w * w
		if n == 2 {
			cv.length += tf
		}
	}
	for k := range sq {
		cv.norm[k] = math.Sqrt(sq[k])
	}
	return cv
}

// ciderSim is the reference's sim(); refW/has are zeroed scratch slices.
func ciderSim(tab *ngramTable, h, r ciderVector, refW []float64, has []bool) [ciderN]float64 {
	for i, g := range r.counts.keys {
		refW[g], has[g] = r.w[i], true
	}
	var val [ciderN]float64
	for i, g := range h.counts.keys {
		wh, wr := h.w[i], 0.0
		if has[g] {
			wr = refW[g]
		}
		val[tab.order[g]-1] += math.Min(wh, wr) * wr
	}
	for _, g := range r.counts.keys {
		refW[g], has[g] = 0, false
	}
	delta := float64(h.length - r.length)
	pen := math.Pow(math.E, -(delta*delta)/(2*ciderSigma*ciderSigma))
	for k := range val {
		if h.norm[k] != 0 && r.norm[k] != 0 {
			val[k] /= h.norm[k] * r.norm[k]
		}
		val[k] *= pen
	}
	return val
}
