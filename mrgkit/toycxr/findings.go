package toycxr

import (
	"math/rand/v2"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Sides and zones of a finding. Patient right is image left.
const (
	right = iota
	left
	both
)

const (
	upper = iota
	middle
	lower
)

// Device kinds.
const (
	devPacemaker = iota
	devETTube
	devCentralLine
	devSternotomy
	numDevices
)

// finding is one observation of a study: its stated label and how it is drawn.
type finding struct {
	state    chexpert.State
	side     int // right, left or both
	zone     int // upper, middle, lower
	severity int // 0 small/mild, 1 moderate, 2 large/marked
	kind     int // subtype: lesion 0 nodule 1 mass; atelectasis/opacity variants
	devices  [numDevices]bool
	u, v     float64 // location parameters in [0,1] (lesions, opacities)
}

// drawn reports whether the finding appears in the image, and its strength
// (1 positive, about 0.55 uncertain: a faint or equivocal sign).
func (f finding) drawn() (bool, float64) {
	switch f.state {
	case chexpert.Positive:
		return true, 1
	case chexpert.Uncertain:
		return true, 0.55
	}
	return false, 0
}

// study is one synthetic patient: findings, stated labels and drawing variation.
type study struct {
	f [chexpert.NumObservations]finding
}

// prevalence of each observation (before co-occurrence) and the chance an
// absent one is stated negative.
var (
	prevalence = [chexpert.NumObservations]float64{0.06, 0.12, 0.10, 0.07, 0.03, 0.08, 0, 0.10, 0.05, 0.08, 0.04, 0.05, 0.12, 0}
	negStated  = [chexpert.NumObservations]float64{0.45, 0.8, 0.3, 0.25, 0.3, 0.55, 0.15, 0.05, 0.7, 0.75, 0.02, 0.2, 0, 0}
)

// sampleStudy draws a study's findings with realistic co-occurrence.
func sampleStudy(rng *rand.Rand) *study {
	s := &study{}
	var present [chexpert.NumObservations]bool
	for o, p := range prevalence {
		present[o] = rng.Float64() < p
	}
	// Congestive heart failure: cardiomegaly with edema and effusions.
	chf := rng.Float64() < 0.09
	if chf {
		present[chexpert.Cardiomegaly] = present[chexpert.Cardiomegaly] || rng.Float64() < 0.85
		present[chexpert.Edema] = present[chexpert.Edema] || rng.Float64() < 0.65
		present[chexpert.PleuralEffusion] = present[chexpert.PleuralEffusion] || rng.Float64() < 0.55
		present[chexpert.SupportDevices] = present[chexpert.SupportDevices] || rng.Float64() < 0.25
	}
	if present[chexpert.Edema] && !present[chexpert.PleuralEffusion] {
		present[chexpert.PleuralEffusion] = rng.Float64() < 0.3
	}
	// Pneumonia is stated only with an airspace abnormality.
	present[chexpert.Pneumonia] = (present[chexpert.Consolidation] || present[chexpert.LungOpacity]) && rng.Float64() < 0.5
	// Atelectasis often accompanies effusion.
	if present[chexpert.PleuralEffusion] && !present[chexpert.Atelectasis] {
		present[chexpert.Atelectasis] = rng.Float64() < 0.2
	}
	for o := range chexpert.NumObservations - 1 {
		f := &s.f[o]
		switch {
		case present[o]:
			f.state = chexpert.Positive
			pu := 0.18
			if o == chexpert.Pneumonia {
				pu = 0.5
			} else if o == chexpert.SupportDevices {
				pu = 0
			}
			if rng.Float64() < pu {
				f.state = chexpert.Uncertain
			}
		case rng.Float64() < negStated[o]:
			f.state = chexpert.Negative
		default:
			f.state = chexpert.Blank
		}
		f.side = rng.IntN(2)
		f.zone = rng.IntN(3)
		f.severity = rng.IntN(3)
		f.kind = rng.IntN(2)
		f.u, f.v = rng.Float64(), rng.Float64()
	}
	s.f[chexpert.Edema].side = both
	if rng.Float64() < 0.35 || (chf && rng.Float64() < 0.5) {
		s.f[chexpert.PleuralEffusion].side = both
	}
	if rng.Float64() < 0.3 {
		s.f[chexpert.Atelectasis].side = both
	}
	s.f[chexpert.Atelectasis].zone = lower
	if s.f[chexpert.LungLesion].kind == 1 && rng.Float64() < 0.5 {
		s.f[chexpert.LungLesion].kind = 0 // nodules are commoner than masses
	}
	if s.f[chexpert.Pneumothorax].severity == 2 && rng.Float64() < 0.6 {
		s.f[chexpert.Pneumothorax].severity = 1
	}
	dev := &s.f[chexpert.SupportDevices]
	dev.devices[rng.IntN(numDevices)] = true
	if chf && rng.Float64() < 0.6 {
		dev.devices[devPacemaker] = true
	}
	if rng.Float64() < 0.2 {
		dev.devices[rng.IntN(numDevices)] = true
	}
	// Pneumonia sits where the consolidation (or opacity) is.
	src := &s.f[chexpert.Consolidation]
	if !present[chexpert.Consolidation] {
		src = &s.f[chexpert.LungOpacity]
	}
	s.f[chexpert.Pneumonia].side, s.f[chexpert.Pneumonia].zone = src.side, src.zone
	return s
}

// labels returns the study's stated labels with CheXpert's No Finding rule.
func (s *study) labels() chexpert.Labels {
	var l chexpert.Labels
	for o := range chexpert.NumObservations - 1 {
		l[o] = s.f[o].state
	}
	l.ApplyNoFinding()
	return l
}
