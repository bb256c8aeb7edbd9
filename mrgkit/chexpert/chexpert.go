// Package chexpert names the 14 CheXpert observations and their label
// states, shared by the data pipeline, the labeler, the model and the metrics.
package chexpert

import (
	"encoding/json"
	"fmt"
)

// Observations are the 14 CheXpert observations in the labeler's canonical order.
var Observations = [...]string{
	"Enlarged Cardiomediastinum",
	"Cardiomegaly",
	"Lung Opacity",
	"Lung Lesion",
	"Edema",
	"Consolidation",
	"Pneumonia",
	"Atelectasis",
	"Pneumothorax",
	"Pleural Effusion",
	"Pleural Other",
	"Fracture",
	"Support Devices",
	"No Finding",
}

// NumObservations is len(Observations).
const NumObservations = len(Observations)

// Indices of the observations in Observations.
const (
	EnlargedCardiomediastinum = iota
	Cardiomegaly
	LungOpacity
	LungLesion
	Edema
	Consolidation
	Pneumonia
	Atelectasis
	Pneumothorax
	PleuralEffusion
	PleuralOther
	Fracture
	SupportDevices
	NoFinding
)

// Index returns the position of an observation name, or -1.
func Index(name string) int {
	for i, o := range Observations {
		if o == name {
			return i
		}
	}
	return -1
}

// State is one observation's label. Its JSON form is CheXpert's:
// 1 positive, 0 negative, -1 uncertain, null not mentioned (blank).
type State int8

const (
	Blank     State = iota // not mentioned
	Positive               // 1
	Negative               // 0
	Uncertain              // -1
)

// NumStates is the number of classes the diagnosis branch predicts per observation.
const NumStates = 4

// Class returns the state's class index for the model (0 blank, 1 positive, 2 negative, 3 uncertain).
func (s State) Class() int { return int(s) }

// FromClass converts a model class index back to a State.
func FromClass(c int) (State, error) {
	if c < 0 || c >= NumStates {
		return Blank, fmt.Errorf("chexpert: class %d out of range [0,%d)", c, NumStates)
	}
	return State(c), nil
}

// String returns "positive", "negative", "uncertain" or "blank".
func (s State) String() string {
	switch s {
	case Positive:
		return "positive"
	case Negative:
		return "negative"
	case Uncertain:
		return "uncertain"
	default:
		return "blank"
	}
}

// MarshalJSON writes 1, 0, -1 or null.
func (s State) MarshalJSON() ([]byte, error) {
	switch s {
	case Positive:
		return []byte("1"), nil
	case Negative:
		return []byte("0"), nil
	case Uncertain:
		return []byte("-1"), nil
	default:
		return []byte("null"), nil
	}
}

// UnmarshalJSON reads 1, 0, -1 (also 1.0, 0.0, -1.0) or null.
func (s *State) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Blank
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("chexpert: label state must be 1, 0, -1 or null, got %s", b)
	}
	switch f {
	case 1:
		*s = Positive
	case 0:
		*s = Negative
	case -1:
		*s = Uncertain
	default:
		return fmt.Errorf("chexpert: label state must be 1, 0, -1 or null, got %s", b)
	}
	return nil
}

// Labels is one study's 14 states, in Observations order.
type Labels [NumObservations]State

// ApplyNoFinding sets No Finding positive when no observation other than
// Support Devices is positive or uncertain, and blank otherwise (CheXpert's rule).
func (l *Labels) ApplyNoFinding() {
	for i, s := range l {
		if i == NoFinding || i == SupportDevices {
			continue
		}
		if s == Positive || s == Uncertain {
			l[NoFinding] = Blank
			return
		}
	}
	l[NoFinding] = Positive
}
