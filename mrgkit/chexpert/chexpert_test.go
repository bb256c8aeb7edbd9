package chexpert

import (
	"encoding/json"
	"testing"
)

func TestStateJSONRoundTrip(t *testing.T) {
	tests := []struct {
		json  string
		state State
	}{
		{"1", Positive}, {"0", Negative}, {"-1", Uncertain}, {"null", Blank},
	}
	for _, tc := range tests {
		var s State
		if err := json.Unmarshal([]byte(tc.json), &s); err != nil || s != tc.state {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", tc.json, s, err, tc.state)
		}
		b, _ := json.Marshal(tc.state)
		if string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s; want %s", tc.state, b, tc.json)
		}
	}
	var s State
	for _, bad := range []string{"2", `"x"`, "0.5"} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s) succeeded; want error", bad)
		}
	}
}

func TestApplyNoFinding(t *testing.T) {
	var l Labels
	l[SupportDevices] = Positive
	l[1] = Negative
	l.ApplyNoFinding()
	if l[NoFinding] != Positive {
		t.Errorf("support devices only: No Finding = %v, want positive", l[NoFinding])
	}
	l[4] = Uncertain
	l.ApplyNoFinding()
	if l[NoFinding] != Blank {
		t.Errorf("uncertain edema: No Finding = %v, want blank", l[NoFinding])
	}
}

func TestIndexConstantsMatchNames(t *testing.T) {
	for _, tc := range []struct {
		idx  int
		name string
	}{
		{EnlargedCardiomediastinum, "Enlarged Cardiomediastinum"}, {Cardiomegaly, "Cardiomegaly"}, {LungOpacity, "Lung Opacity"},
		{LungLesion, "Lung Lesion"}, {Edema, "Edema"}, {Consolidation, "Consolidation"}, {Pneumonia, "Pneumonia"},
		{Atelectasis, "Atelectasis"}, {Pneumothorax, "Pneumothorax"}, {PleuralEffusion, "Pleural Effusion"},
		{PleuralOther, "Pleural Other"}, {Fracture, "Fracture"}, {SupportDevices, "Support Devices"}, {NoFinding, "No Finding"},
	} {
		if Observations[tc.idx] != tc.name || Index(tc.name) != tc.idx {
			t.Errorf("index %d is %q, want %q", tc.idx, Observations[tc.idx], tc.name)
		}
	}
}
