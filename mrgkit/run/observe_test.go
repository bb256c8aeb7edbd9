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
