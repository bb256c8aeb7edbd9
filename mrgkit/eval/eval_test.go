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
	// The constant "heart is enlarged" report: TP 2 (cardiomegaly in a, b),
	// FP 1 (cardiomegaly in c), FN 2 (effusion in b, No Finding in c):
	// P=2/3, R=1/2, F1=4/7 (the normal report: TP 1, FP 2, FN 3 → F1 2/7).
	if bs[1].Report != train[2] || math.Abs(bs[1].Metrics["ce_micro_f1"]-4.0/7) > 1e-9 {
		t.Errorf("best constant report %q with CE micro-F1 %g, want %q with 4/7", bs[1].Report, bs[1].Metrics["ce_micro_f1"], train[2])
	}
	if _, ok := bs[0].Metrics["METEOR"]; !ok {
		t.Error("baseline lacks METEOR")
	}
	if _, err := Baselines(nil, refs, 10); err == nil {
		t.Error("no training reports accepted")
	}
}
