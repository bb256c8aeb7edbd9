package run

import (
	"fmt"
	"math"
)

// Event is what a training run reports to its Observer (train.Options.Observe):
// once before the first step ("start"), then every train step ("step") and
// every epoch's validation ("epoch"), with the numbers of the log.jsonl
// Record it writes. A notebook draws its live progress bar and curves from
// these (GoMLX's ui/commandline.AttachProgressBar and ui/gonb/plotly attach
// to a GoMLX train.Loop; the kit's training loop is its own, so they cannot).
type Event struct {
	Kind       string // "start", KindStep or KindEpoch
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

// Attach sends the start event of a run of epochs × stepsPerEpoch steps,
// now at global step step of epoch epoch, and returns the function the
// training loop calls with each record it logs (nil without an observer).
func (o Observer) Attach(epochs, stepsPerEpoch, step, epoch int) func(Record) {
	if o == nil {
		return nil
	}
	total := epochs * stepsPerEpoch
	o(Event{Kind: "start", Step: step, TotalSteps: total, Epoch: epoch, Epochs: epochs, Values: map[string]float64{}})
	return func(rec Record) {
		ev := Event{Kind: rec.Kind, Step: rec.Step, Epoch: rec.Epoch, TotalSteps: total, Epochs: epochs, Values: map[string]float64{}}
		for k, v := range rec.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				ev.Values[k] = v
			}
		}
		o(ev)
	}
}

// Summary is what a training run (train.Train, distill.Distill) returns.
type Summary struct {
	Dir        string
	Steps      int
	BestEpoch  int
	BestScore  float64
	BestValues map[string]float64
	Seconds    float64
	SecPerStep float64
	Stopped    bool // stopped early by MaxSteps
}

// String is the summary in one line: "N steps, best epoch E (validation S)",
// with ", X s/step" when steps were timed (not for a run that was already
// finished) and ", stopped early" for a MaxSteps stop.
func (s *Summary) String() string {
	out := fmt.Sprintf("%d steps, best epoch %d (validation %.4f)", s.Steps, s.BestEpoch, s.BestScore)
	if s.SecPerStep > 0 {
		out += fmt.Sprintf(", %.3f s/step", s.SecPerStep)
	}
	if s.Stopped {
		out += ", stopped early"
	}
	return out
}
