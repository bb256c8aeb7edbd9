package eval

import (
	"math"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// logitsFor returns 4 logits (blank, positive, negative, uncertain) whose
// softmax gives "positive" the probability p and "blank" the rest.
func logitsFor(p float64) []float32 {
	return []float32{0, float32(math.Log(p / (1 - p))), -100, -100}
}

func TestPaperBaseProb(t *testing.T) {
	pos := chexpert.Positive
	row := func(ps ...float64) []float32 {
		var out []float32
		for _, p := range ps {
			out = append(out, logitsFor(p)...)
		}
		return out
	}
	diags := []Diagnosis{
		{Logits: row(0.8, 0.1, 0.5), PositiveP: []float32{0.8, 0.1, 0.5}, Truth: chexpert.Labels{pos, pos}},
		{Logits: row(0.4, 0.3, 0.9), PositiveP: []float32{0.4, 0.3, 0.9}, Truth: chexpert.Labels{pos, chexpert.Negative}},
		{Logits: row(0.2, 0.2, 0.9), PositiveP: []float32{0.2, 0.2, 0.9}, Truth: chexpert.Labels{chexpert.Blank, pos}},
	}
	got, err := Calibrate(AdjustPaper, diags, []float32{1, 1, 0.7}, false)
	if err != nil {
		t.Fatal(err)
	}
	// obs 0: mean over truly positive studies (0.8+0.4)/2 = 0.6; obs 1: (0.1+0.2)/2 = 0.15;
	// obs 2: no positive study → keeps 0.7. Divided by the max (0.6).
	want := []float64{1, 0.25, 0.7}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Errorf("base_prob[%d] = %g, want %g", i, got[i], want[i])
		}
	}
}

func TestF1Shifts(t *testing.T) {
	pos, neg := chexpert.Positive, chexpert.Negative
	// One observation. Positive logit minus the best other logit ("margin")
	// per study: positives at margins -1.1, -0.6, 0.3; negatives at -3, -0.8, 0.1.
	// A study is called positive when margin + δ > 0.
	// δ in (0.6, 0.8]: calls 0.3, -0.6 (TP 2) and 0.1 (FP 1): F1 = 4/6 = 0.667;
	// δ in (-0.1, 0.6]: TP 1 (0.3), FP 1: F1 = 0.5; δ in (0.8, 1.1]: TP 2, FP 2: 0.571;
	// δ in (1.1, 3]: TP 3, FP 2: 0.75; δ > 3: TP 3, FP 3: 0.667. Best: δ = 1.25 (smallest grid point in (1.1, 3]).
	margins := []struct {
		m     float32
		truth chexpert.State
	}{{-1.1, pos}, {-0.6, pos}, {0.3, pos}, {-3, neg}, {-0.8, neg}, {0.1, neg}}
	var diags []Diagnosis
	for _, s := range margins {
		diags = append(diags, Diagnosis{Logits: []float32{0, s.m, -5, -5}, Truth: chexpert.Labels{s.truth}})
	}
	got, err := Calibrate(AdjustF1, diags, []float32{1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Exp(-1.25); math.Abs(float64(got[0])-want) > 1e-6 {
		t.Errorf("base_prob = %g (δ = %g), want exp(-1.25) = %g", got[0], -math.Log(float64(got[0])), want)
	}
	// Two observations: obs 0 well predicted (10 positives at margin +1, 10
	// negatives at -1); obs 1 invisible (2 positives among 18 negatives, all
	// far below 0 and interleaved). Obs 1's own F1 is best when every study
	// is called positive (4/22 > 0), but that costs the micro-F1 (2·12/42 =
	// 0.57 instead of 20/22 = 0.91): the shift stays at 0, no flood.
	diags = diags[:0]
	for i := range 20 {
		var d Diagnosis
		d.Logits = make([]float32, 8)
		m0 := float32(-1)
		if i < 10 {
			m0 = 1
			d.Truth[0] = pos
		}
		m1 := -1.2 - 0.1*float32(i)
		if i == 3 || i == 11 {
			d.Truth[1] = pos
		}
		copy(d.Logits, []float32{0, m0, -5, -5, 0, m1, -5, -5})
		diags = append(diags, d)
	}
	got, err = Calibrate(AdjustF1, diags, []float32{1, 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[1] != 1 {
		t.Errorf("base_prob = %v, want [1 1] (δ = 0 for both)", got)
	}
	none, err := Calibrate(AdjustNone, diags, []float32{0.3}, false)
	if err != nil || none[0] != 1 {
		t.Errorf("AdjustNone = %v, %v; want [1]", none, err)
	}
	if _, err := Calibrate("bogus", diags, []float32{1}, false); err == nil {
		t.Error("Calibrate(bogus) gave no error")
	}

	// derivedNF: No Finding keeps its base probability (it is derived from
	// the others), and is not counted. Here it is the margins' observation
	// above: without derivedNF it would move to exp(-1.25).
	diags = diags[:0]
	for _, s := range margins {
		d := Diagnosis{Logits: make([]float32, chexpert.NumObservations*4)}
		copy(d.Logits[chexpert.NoFinding*4:], []float32{0, s.m, -5, -5})
		d.Truth[chexpert.NoFinding] = s.truth
		diags = append(diags, d)
	}
	prev := make([]float32, chexpert.NumObservations)
	for i := range prev {
		prev[i] = 0.5
	}
	for _, tc := range []struct {
		derived bool
		want    float64
	}{{false, math.Exp(-1.25)}, {true, 0.5}} {
		got, err := Calibrate(AdjustF1, diags, prev, tc.derived)
		if err != nil {
			t.Fatal(err)
		}
		if g := float64(got[chexpert.NoFinding]); math.Abs(g-tc.want) > 1e-6 {
			t.Errorf("derivedNF=%v: No Finding base_prob %g, want %g", tc.derived, g, tc.want)
		}
	}
}

func TestConstantReportBaselines(t *testing.T) {
	refs := map[string]string{
		"a": "the heart is enlarged . no pleural effusion .",
		"b": "the heart is enlarged . there is a small pleural effusion .",
		"c": "the heart is normal in size . lungs are clear .",
	}
	train := []string{"the heart is normal in size . lungs are clear .", "the heart is normal in size . lungs are clear .",
		"the heart is enlarged . no pleural effusion ."}
	bs, err := Baselines(train, refs, 10)
	if err != nil {
		t.Fatal(err)
	}
	if bs[0].Report != train[0] {
		t.Errorf("most frequent report = %q", bs[0].Report)
	}
	// Chosen on the training reports: the normal report (No Finding) gets
	// TP 2, FP 1, FN 1 there (F1 2/3), the "enlarged" one TP 1, FP 2, FN 2
	// (F1 1/3). On the test refs "enlarged" would win (TP 2, FP 1, FN 2:
	// F1 4/7) but must not be picked; the normal report scores TP 1, FP 2,
	// FN 3 there: F1 2/7.
	if bs[1].Report != train[0] || math.Abs(bs[1].Metrics["ce_micro_f1"]-2.0/7) > 1e-9 {
		t.Errorf("best constant report %q with CE micro-F1 %g, want %q with 2/7", bs[1].Report, bs[1].Metrics["ce_micro_f1"], train[0])
	}
	// A training set where the second most frequent report is better.
	train2 := []string{"the heart is normal in size . lungs are clear .", "the heart is normal in size . lungs are clear .",
		"the heart is normal in size . lungs are clear .",
		"the heart is enlarged . no pleural effusion .", "the heart is enlarged .", "the heart is enlarged . lungs are clear .",
		"the heart is enlarged . no pleural effusion ."}
	bs, err = Baselines(train2, refs, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Against train2, "enlarged . no pleural effusion ." gets TP 4, FP 3,
	// FN 3 (F1 4/7); the normal one, the most frequent, TP 3, FP 4, FN 4
	// (F1 3/7). On the test refs: 4/7 as above.
	if bs[0].Report != train2[0] {
		t.Errorf("train2: most frequent report %q", bs[0].Report)
	}
	if bs[1].Report != train2[3] || math.Abs(bs[1].Metrics["ce_micro_f1"]-4.0/7) > 1e-9 {
		t.Errorf("train2: best constant report %q with CE micro-F1 %g, want %q with 4/7", bs[1].Report, bs[1].Metrics["ce_micro_f1"], train2[3])
	}
	if _, ok := bs[0].Metrics["METEOR"]; !ok {
		t.Error("baseline lacks METEOR")
	}
	if _, err := Baselines(nil, refs, 10); err == nil {
		t.Error("no training reports accepted")
	}
}
