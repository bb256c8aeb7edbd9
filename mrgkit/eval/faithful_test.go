package eval

import (
	"math"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

func TestHasRepeatedSentence(t *testing.T) {
	for _, tc := range []struct {
		report string
		want   bool
	}{
		{"the heart is normal . no effusion .", false},
		{"no effusion . the heart is normal . no effusion .", true},
		{"no  effusion . no effusion", true}, // spacing does not hide a repeat
		{"no effusion . no effusion or edema .", false},
		{"", false},
		{" . . ", false},
	} {
		if got := HasRepeatedSentence(tc.report); got != tc.want {
			t.Errorf("HasRepeatedSentence(%q) = %v, want %v", tc.report, got, tc.want)
		}
	}
}

// TestAgree: hand-counted positives over three studies.
func TestAgree(t *testing.T) {
	p, n, u := chexpert.Positive, chexpert.Negative, chexpert.Uncertain
	lab := func(kv map[int]chexpert.State) chexpert.Labels {
		var l chexpert.Labels
		for o, s := range kv {
			l[o] = s
		}
		return l
	}
	card, eff, nf, frac := chexpert.Cardiomegaly, chexpert.PleuralEffusion, chexpert.NoFinding, chexpert.Fracture
	ref := []chexpert.Labels{
		lab(map[int]chexpert.State{card: p, eff: p}),
		lab(map[int]chexpert.State{nf: p}),
		lab(map[int]chexpert.State{card: p, eff: n}),
	}
	pred := []chexpert.Labels{
		lab(map[int]chexpert.State{card: p, eff: u}),        // TP card; eff uncertain = FN
		lab(map[int]chexpert.State{nf: p, frac: p}),         // TP nf, FP frac
		lab(map[int]chexpert.State{card: n, eff: p, nf: p}), // FN card, FP eff, FP nf
	}
	a := Agree(ref, pred)
	// All: TP 2 (card, nf), FP 3 (frac, eff, nf), FN 2 (eff, card): P 2/5, R 2/4, F1 4/9.
	check := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	check("micro P", a.Micro.Precision, 2.0/5)
	check("micro R", a.Micro.Recall, 2.0/4)
	check("micro F1", a.Micro.F1, 4.0/9)
	// Without No Finding: TP 1, FP 2 (frac, eff), FN 2: F1 2/6.
	check("micro F1 without No Finding", a.MicroNoFinding.F1, 2.0/6)
	c := a.PerLabel[chexpert.Observations[card]]
	if c.TP != 1 || c.FP != 0 || c.FN != 1 || c.Predicted != 1 {
		t.Errorf("cardiomegaly counts %+v", c)
	}
	check("cardiomegaly F1", c.F1, 2.0/3)
	// No label predicted positive more than 10 times.
	check("min precision over 10", a.MinPrecision10, 1)
}

// TestAgreeMinPrecision10: a label predicted positive 12 times with 3 true
// positives has precision 0.25; one predicted 10 times does not count.
func TestAgreeMinPrecision10(t *testing.T) {
	var ref, pred []chexpert.Labels
	for i := range 20 {
		var r, p chexpert.Labels
		if i < 12 {
			p[chexpert.Fracture] = chexpert.Positive
		}
		if i < 3 {
			r[chexpert.Fracture] = chexpert.Positive
		}
		if i < 10 {
			p[chexpert.Pneumothorax] = chexpert.Positive // 10 times, all wrong: not counted
		}
		ref, pred = append(ref, r), append(pred, p)
	}
	if got := Agree(ref, pred).MinPrecision10; math.Abs(got-0.25) > 1e-12 {
		t.Errorf("MinPrecision10 = %g, want 0.25", got)
	}
}

// TestFaithfulnessFigures: repetition, distinct reports and lengths of a
// hand-made result, and no truth-based figures when a study lacks labels.
func TestFaithfulnessFigures(t *testing.T) {
	truth := chexpert.Labels{chexpert.Cardiomegaly: chexpert.Positive}
	studies := []Study{
		{Generated: "the heart is enlarged . no effusion . no effusion .", Reference: "the heart is enlarged .", TrueLabels: &truth},
		{Generated: "the heart is enlarged . no effusion . no effusion .", Reference: "normal chest .", TrueLabels: &truth},
		{Generated: "normal chest .", Reference: "normal chest .", TrueLabels: nil},
	}
	f := faithfulness(studies, true, false)
	if f.Text != nil || f.Diagnosis != nil {
		t.Error("truth-based figures computed without labels for every study")
	}
	if f.Prompts == nil {
		t.Error("no text-vs-prompts figure for a prompted model")
	}
	if math.Abs(f.RepeatedSentence-2.0/3) > 1e-12 || f.DistinctReports != 2 || f.Studies != 3 {
		t.Errorf("repeated %g distinct %d studies %d; want 2/3, 2, 3", f.RepeatedSentence, f.DistinctReports, f.Studies)
	}
	// Words without the sentence marks: 8, 8, 2 and 4, 2, 2.
	if math.Abs(f.MeanWords-6) > 1e-12 || math.Abs(f.MeanRefWords-8.0/3) > 1e-12 {
		t.Errorf("mean words %g / %g, want 6 and 8/3", f.MeanWords, f.MeanRefWords)
	}
	if g := faithfulness(studies, false, true); g.Prompts != nil || g.Diagnosis != nil || g.Text == nil {
		t.Errorf("without prompts: prompts %v diagnosis %v text %v", g.Prompts, g.Diagnosis, g.Text)
	}
}
