package train

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ui/gonb/plotly"
	"github.com/gomlx/gomlx/ui/plot"

	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// TestObserveAndPlotPoints trains 2 epochs x 4 steps and checks what an
// observer sees and that the run's plot points load with GoMLX's readers.
func TestObserveAndPlotPoints(t *testing.T) {
	dir, be := tinySetup(t, 16)
	rdir := filepath.Join(dir, "run")
	var events []run.Event
	if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: rdir, Backend: be, Quiet: true,
		Observe: func(e run.Event) { events = append(events, e) }}); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
		if e.TotalSteps != 8 || e.Epochs != 2 {
			t.Errorf("%s event: total steps %d, epochs %d; want 8, 2", e.Kind, e.TotalSteps, e.Epochs)
		}
	}
	want := "start step step step step epoch step step step step epoch"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	for i, e := range events[1:5] {
		if e.Step != i+1 || e.Epoch != 1 {
			t.Errorf("step event %d: step %d epoch %d, want %d, 1", i, e.Step, e.Epoch, i+1)
		}
		for _, k := range []string{"loss", "lm_loss", "cls_loss", "lr", "sec_per_step"} {
			if _, ok := e.Values[k]; !ok {
				t.Errorf("step event %d has no %s (values %v)", i, k, e.Values)
			}
		}
	}
	if _, ok := events[5].Values["BLEU_4"]; !ok || events[5].Step != 4 {
		t.Errorf("epoch event: step %d, values %v; want step 4 with BLEU_4", events[5].Step, events[5].Values)
	}

	points, err := plot.LoadPointsFromCheckpoint(rdir)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range points {
		count[p.MetricName+"|"+p.MetricType]++
	}
	for key, n := range map[string]int{"Train: loss|loss": 8, "Train: lm_loss|loss": 8, "Train: lr|learning rate": 8,
		"BLEU_4 on val|NLG (validation)": 2, "ce_micro_f1 on val|clinical efficacy (validation)": 2} {
		if count[key] != n {
			t.Errorf("%d points %s, want %d (all: %v)", count[key], key, n, count)
		}
	}
	if err := plotly.New().LoadCheckpointData(rdir); err != nil {
		t.Errorf("plotly.LoadCheckpointData(%s): %v", rdir, err)
	}
}
