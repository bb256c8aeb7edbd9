package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

func labels(pos ...int) chexpert.Labels {
	var l chexpert.Labels
	for _, p := range pos {
		l[p] = chexpert.Positive
	}
	return l
}

func TestClinicalEfficacyHandComputed(t *testing.T) {
	const cm, ef, nf = 1, 9, 13
	unc := labels(cm)
	unc[cm] = chexpert.Uncertain
	refs := []chexpert.Labels{labels(cm, ef), labels(nf), labels(), labels(ef)}
	hyps := []chexpert.Labels{labels(cm), labels(nf), labels(), unc}
	// Pairs: study0 tp=1 (cm) fn=1 (ef); study1 tp=1 (nf); study2 nothing;
	// study3 fn=1 (ef), the uncertain cm is not positive.
	ce, err := ClinicalEfficacy(refs, hyps)
	if err != nil {
		t.Fatal(err)
	}
	want := CE{
		Micro: PRF{Precision: 2.0 / 2, Recall: 2.0 / 4, F1: 2.0 / (2 + 0.5*2)},
		// per label: cm P1 R1 F1; nf P1 R1 F1; ef P0 R0 F0 (tp 0, fn 2); others 0.
		Macro: PRF{Precision: 2.0 / 14, Recall: 2.0 / 14, F1: 2.0 / 14},
		// study0 P1 R.5 F(1/(1+.5))=2/3; study1 1,1,1; study2 0,0,0 (empty vs empty); study3 0,0,0.
		Example: PRF{Precision: 2.0 / 4, Recall: 1.5 / 4, F1: (2.0/3 + 1) / 4},
	}
	for _, c := range []struct {
		name      string
		got, want PRF
	}{{"micro", ce.Micro, want.Micro}, {"macro", ce.Macro, want.Macro}, {"example", ce.Example, want.Example}} {
		if math.Abs(c.got.Precision-c.want.Precision) > 1e-12 || math.Abs(c.got.Recall-c.want.Recall) > 1e-12 || math.Abs(c.got.F1-c.want.F1) > 1e-12 {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if got := ce.PerLabel["Pleural Effusion"]; got != (Counts{TP: 0, FP: 0, FN: 2}) {
		t.Errorf("Pleural Effusion counts = %+v, want fn 2", got)
	}
	if got := ce.PerLabel["Cardiomegaly"]; got != (Counts{TP: 1}) {
		t.Errorf("Cardiomegaly counts = %+v, want tp 1", got)
	}
	b, _ := json.Marshal(ce)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	for _, k := range []string{"micro", "macro", "example", "per_label"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
}

func TestClinicalEfficacyErrors(t *testing.T) {
	if _, err := ClinicalEfficacy(nil, nil); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := ClinicalEfficacy(make([]chexpert.Labels, 2), make([]chexpert.Labels, 3)); err == nil {
		t.Error("length mismatch accepted")
	}
}
