package train

import (
	"math"

	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// Event is what a training run reports to Options.Observe: once before the
// first step ("start"), then every train step ("step") and every epoch's
// validation ("epoch"), with the numbers of the log.jsonl record it writes.
// A notebook draws its live progress bar and curves from these (GoMLX's
// ui/commandline.AttachProgressBar and ui/gonb/plotly attach to a GoMLX
// train.Loop; the kit's loop in Train is its own, so they cannot).
type Event struct {
	Kind       string // "start", "step" or "epoch"
	Step       int    // global steps done
	TotalSteps int    // global steps of the whole run
	Epoch      int
	Epochs     int
	// Values holds the record's finite numbers: loss and its parts, lr and
	// sec_per_step for a step; validation metrics and epoch_seconds for an
	// epoch. Empty for "start".
	Values map[string]float64
}

// Observer receives a run's Events, on the training goroutine: it must
// return quickly.
type Observer func(Event)

// attach sends the start event and returns the function the trainer calls
// with each record it logs (nil without an observer).
func (o Observer) attach(epochs, stepsPerEpoch, step, epoch int) func(run.Record) {
	if o == nil {
		return nil
	}
	total := epochs * stepsPerEpoch
	o(Event{Kind: "start", Step: step, TotalSteps: total, Epoch: epoch, Epochs: epochs, Values: map[string]float64{}})
	return func(rec run.Record) {
		ev := Event{Kind: rec.Kind, Step: rec.Step, Epoch: rec.Epoch, TotalSteps: total, Epochs: epochs, Values: map[string]float64{}}
		for k, v := range rec.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				ev.Values[k] = v
			}
		}
		o(ev)
	}
}
