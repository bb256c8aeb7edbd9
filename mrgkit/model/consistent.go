package model

import (
	"math"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// ConsistentLabels returns the diagnosis of one study as the most probable
// vector of the 14 observations' classes that obeys the No Finding rule of
// the data (chexpert.Labels.ApplyNoFinding): No Finding is positive exactly
// when no observation but Support Devices is positive or uncertain, and
// blank otherwise. logits holds the 14×4 (adjusted) diagnosis logits,
// row-major; each observation's softmax is taken as its own distribution,
// so the joint log-probability is the sum of the chosen classes' log-softmax.
//
// The two consistent shapes are compared:
//   - "normal": No Finding positive, every other finding at its most
//     probable of blank and negative;
//   - "abnormal": No Finding blank, every finding at its argmax, and, if
//     none of them is then positive or uncertain, the finding that loses the
//     least moved to its most probable of positive and uncertain.
//
// Support Devices is free in both. The per-observation argmax, by contrast,
// can say "nothing found" and "No Finding blank" at once: a label vector no
// report has, which no generated text can agree with.
func ConsistentLabels(logits []float32) []int32 {
	const n = chexpert.NumObservations
	var lp [n][4]float64
	for o := range n {
		row := logits[o*4 : o*4+4]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = max(mx, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		for s, v := range row {
			lp[o][s] = float64(v) - mx - math.Log(sum)
		}
	}
	best := func(o int, classes ...chexpert.State) (int32, float64) {
		b, bv := int32(classes[0].Class()), lp[o][classes[0].Class()]
		for _, s := range classes[1:] {
			if v := lp[o][s.Class()]; v > bv {
				b, bv = int32(s.Class()), v
			}
		}
		return b, bv
	}
	all := []chexpert.State{chexpert.Blank, chexpert.Positive, chexpert.Negative, chexpert.Uncertain}
	finding := func(o int) bool { return o != chexpert.NoFinding && o != chexpert.SupportDevices }

	normal := make([]int32, n)
	abnormal := make([]int32, n)
	sNormal := lp[chexpert.NoFinding][chexpert.Positive.Class()]
	sAbnormal := lp[chexpert.NoFinding][chexpert.Blank.Class()]
	normal[chexpert.NoFinding] = int32(chexpert.Positive.Class())
	abnormal[chexpert.NoFinding] = int32(chexpert.Blank.Class())
	anyAbnormal := false
	force, forceClass, forceLoss := -1, int32(0), math.Inf(-1)
	for o := range n {
		if o == chexpert.NoFinding {
			continue
		}
		c, v := best(o, all...)
		abnormal[o] = c
		sAbnormal += v
		if !finding(o) {
			normal[o] = c
			sNormal += v
			continue
		}
		cn, vn := best(o, chexpert.Blank, chexpert.Negative)
		normal[o] = cn
		sNormal += vn
		if s := chexpert.State(c); s == chexpert.Positive || s == chexpert.Uncertain {
			anyAbnormal = true
		}
		ca, va := best(o, chexpert.Positive, chexpert.Uncertain)
		if va-v > forceLoss {
			force, forceClass, forceLoss = o, ca, va-v
		}
	}
	if !anyAbnormal {
		abnormal[force] = forceClass
		sAbnormal += forceLoss
	}
	if sAbnormal > sNormal {
		return abnormal
	}
	return normal
}
