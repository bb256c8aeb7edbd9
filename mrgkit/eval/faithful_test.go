package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
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

// tableResult has the diagnosis and prompt agreements (no text-vs-truth):
// Cardiomegaly F1 0.5 with 3 called, every other observation 0.
func tableResult() *Result {
	agree := func(f1 float64) *Agreement {
		a := &Agreement{Micro: metrics.PRF{Precision: 0.25, Recall: 0.5, F1: f1}, MicroNoFinding: metrics.PRF{Precision: 0.125, Recall: 1, F1: 0.2},
			PerLabel: map[string]LabelScore{}, MinPrecision10: 0.75}
		a.PerLabel["Cardiomegaly"] = LabelScore{PRF: metrics.PRF{Precision: 1, Recall: 1.0 / 3, F1: 0.5}, Predicted: 3}
		return a
	}
	return &Result{Split: "val", Prompts: PromptsTruth, Faithfulness: Faithfulness{Diagnosis: agree(0.4), Prompts: agree(0.9),
		RepeatedSentence: 0.125, RefRepeatedSentence: 0.5, DistinctReports: 6, Studies: 8, MeanWords: 12.25, MeanRefWords: 20}}
}

func TestFaithfulnessMarkdown(t *testing.T) {
	lines := strings.Split(FaithfulnessMarkdown(tableResult()), "\n")
	want := map[int]string{
		0:                            "Faithfulness on the val split (8 studies, prompts: truth)",
		2:                            "| observation | diagnosis vs truth: F1 (called) | text vs prompts: F1 (called) |",
		3:                            "|---|---|---|",
		4:                            "| Enlarged Cardiomediastinum | 0.00 (0) | 0.00 (0) |",
		5:                            "| Cardiomegaly | 0.50 (3) | 0.50 (3) |",
		4 + chexpert.NoFinding:       "| No Finding | 0.00 (0) | 0.00 (0) |",
		4 + chexpert.NumObservations: "| **micro** | **0.400** (P 0.25, R 0.50) | **0.900** (P 0.25, R 0.50) |",
		5 + chexpert.NumObservations: "| **micro without No Finding** | **0.200** (P 0.12, R 1.00) | **0.200** (P 0.12, R 1.00) |",
		7 + chexpert.NumObservations: "Reports with a repeated sentence: 12.5% (references 50.0%); 6 distinct reports; mean length 12.2 words (references 20.0).",
	}
	if len(lines) != 9+chexpert.NumObservations {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), 9+chexpert.NumObservations, strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d\n%s\nwant\n%s", i, lines[i], w)
		}
	}
}

func TestWriteFaithfulness(t *testing.T) {
	var b strings.Builder
	WriteFaithfulness(&b, tableResult())
	lines := strings.Split(b.String(), "\n")
	pad := func(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }
	want := map[int]string{
		0:                            "faithfulness (val split, 8 studies, prompts: truth); positive labels, F1 (P/R)",
		1:                            "  " + pad("observation", 27) + " " + pad("diagnosis vs truth", 22) + " " + pad("text vs prompts", 22),
		3:                            "  " + pad("Cardiomegaly", 27) + " " + pad("0.50 (1.00/0.33)   3", 22) + " " + pad("0.50 (1.00/0.33)   3", 22),
		2 + chexpert.NumObservations: "  " + pad("micro", 27) + " " + pad("0.400 (0.25/0.50)", 22) + " " + pad("0.900 (0.25/0.50)", 22),
		4 + chexpert.NumObservations: "  (the last number of a cell: positives predicted; lowest precision of a label predicted > 10 times: diagnosis vs truth 0.75; text vs prompts 0.75;)",
		5 + chexpert.NumObservations: "  reports with a repeated sentence 12.5% (references 50.0%); 6 distinct reports of 8; mean length 12.2 words (references 20.0)",
	}
	if len(lines) != 7+chexpert.NumObservations {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), 7+chexpert.NumObservations, b.String())
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d\n%q\nwant\n%q", i, lines[i], w)
		}
	}
}

func posLabels(pos ...int) chexpert.Labels {
	var l chexpert.Labels
	for i := range l {
		l[i] = chexpert.Negative
	}
	for _, p := range pos {
		l[p] = chexpert.Positive
	}
	return l
}

func TestOmissions(t *testing.T) {
	// Observation indices as in chexpert.Observations (No Finding is chexpert.NoFinding).
	res := &Result{Split: "test", Studies: []Study{
		{ID: "all said", Predicted: posLabels(1, 2), GenLabels: posLabels(1, 2)},
		{ID: "one omitted", Predicted: posLabels(1, 2), GenLabels: posLabels(1)},
		{ID: "no finding only", Predicted: posLabels(chexpert.NoFinding), GenLabels: posLabels()},
		{ID: "two omitted", Predicted: posLabels(3, 4), GenLabels: posLabels(5)},
	}}
	o := chexpert.Observations
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "two omitted:" + o[3] + "," + o[4] + " one omitted:" + o[2]},
		{1, "two omitted:" + o[3] + "," + o[4]},
		{5, "two omitted:" + o[3] + "," + o[4] + " one omitted:" + o[2]},
	} {
		var ids []string
		for _, om := range Omissions(res, c.n) {
			ids = append(ids, om.Study.ID+":"+strings.Join(om.Omitted, ","))
		}
		if got := strings.Join(ids, " "); got != c.want {
			t.Errorf("Omissions(n=%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
