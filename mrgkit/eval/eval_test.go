package eval

import (
	"math"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

func TestBaseProbabilities(t *testing.T) {
	pos := chexpert.Positive
	res := &Result{Studies: []Study{
		{PositiveP: []float32{0.8, 0.1, 0.5}, TrueState: chexpert.Labels{pos, pos}},
		{PositiveP: []float32{0.4, 0.3, 0.9}, TrueState: chexpert.Labels{pos, chexpert.Negative}},
		{PositiveP: []float32{0.2, 0.2, 0.9}, TrueState: chexpert.Labels{chexpert.Blank, pos}},
	}}
	got := BaseProbabilities(res, []float32{1, 1, 0.7})
	// obs 0: mean over truly positive studies (0.8+0.4)/2 = 0.6; obs 1: (0.1+0.2)/2 = 0.15;
	// obs 2: no positive study → keeps 0.7. Divided by the max (0.6).
	want := []float64{1, 0.25, 0.7}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Errorf("base_prob[%d] = %g, want %g", i, got[i], want[i])
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
