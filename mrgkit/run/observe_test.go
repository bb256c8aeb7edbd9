package run

import (
	"math"
	"reflect"
	"testing"
)

func TestObserverAttach(t *testing.T) {
	if Observer(nil).Attach(2, 4, 0, 1) != nil {
		t.Error("a nil observer attaches a record function")
	}
	var got []Event
	send := Observer(func(e Event) { got = append(got, e) }).Attach(3, 5, 5, 2)
	for _, rec := range []Record{
		{Kind: KindStep, Step: 6, Epoch: 2, Values: map[string]float64{"loss": 2.5, "lr": math.NaN(), "lm_loss": math.Inf(1)}},
		{Kind: KindEpoch, Step: 10, Epoch: 2, Split: "val", Values: map[string]float64{"BLEU_4": 0.25, "CIDEr": math.Inf(-1)}},
	} {
		send(rec)
	}
	want := []Event{
		{Kind: "start", Step: 5, TotalSteps: 15, Epoch: 2, Epochs: 3, Values: map[string]float64{}},
		{Kind: "step", Step: 6, TotalSteps: 15, Epoch: 2, Epochs: 3, Values: map[string]float64{"loss": 2.5}},
		{Kind: "epoch", Step: 10, TotalSteps: 15, Epoch: 2, Epochs: 3, Values: map[string]float64{"BLEU_4": 0.25}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events\n%+v\nwant\n%+v", got, want)
	}
}

func TestSummaryString(t *testing.T) {
	for _, tc := range []struct {
		s    Summary
		want string
	}{
		{Summary{Steps: 1290, BestEpoch: 9, BestScore: 1.17456, SecPerStep: 0.1954}, "1290 steps, best epoch 9 (validation 1.1746), 0.195 s/step"},
		{Summary{Steps: 1290, BestEpoch: 9, BestScore: 1.17456}, "1290 steps, best epoch 9 (validation 1.1746)"},
		{Summary{Steps: 5, BestEpoch: 0, BestScore: -1, SecPerStep: 0.5, Stopped: true}, "5 steps, best epoch 0 (validation -1.0000), 0.500 s/step, stopped early"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}
