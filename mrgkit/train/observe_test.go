package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ui/gonb/plotly"
	"github.com/gomlx/gomlx/ui/plot"
)

// TestObserveAndPlotPoints trains 2 epochs x 4 steps and checks what an
// observer sees and that the run's plot points load with GoMLX's readers.
func TestObserveAndPlotPoints(t *testing.T) {
	dir, be := tinySetup(t, 16)
	run := filepath.Join(dir, "run")
	var events []Event
	if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: run, Backend: be, Quiet: true,
		Observe: func(e Event) { events = append(events, e) }}); err != nil {
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

	points, err := plot.LoadPointsFromCheckpoint(run)
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
	if err := plotly.New().LoadCheckpointData(run); err != nil {
		t.Errorf("plotly.LoadCheckpointData(%s): %v", run, err)
	}
}

func TestRecordPoints(t *testing.T) {
	for _, tc := range []struct {
		name, kind, split string
		values            map[string]float64
		want              []string // MetricName|MetricType|Short
	}{
		{"step", "step", "", map[string]float64{"loss": 2, "lm_loss": 1.5, "kd_local": 0.1, "lr": 1e-4, "sec_per_step": 0.3},
			[]string{"Train: kd_local|loss|T/kd_local", "Train: lm_loss|loss|T/lm_loss", "Train: loss|loss|T/loss", "Train: lr|learning rate|T/lr"}},
		{"epoch", "epoch", "val", map[string]float64{"BLEU_4": 0.1, "ce_micro_f1": 0.4, "ce_micro_precision": 0.5, "diag_micro_f1": 0.7, "epoch_seconds": 30, "mean_words": 17},
			[]string{"BLEU_4 on val|NLG (validation)|BLEU_4(val)", "ce_micro_f1 on val|clinical efficacy (validation)|ce_micro_f1(val)",
				"diag_micro_f1 on val|faithfulness (validation)|diag_micro_f1(val)"}},
		{"epoch without split is val", "epoch", "", map[string]float64{"CIDEr": 0.2}, []string{"CIDEr on val|NLG (validation)|CIDEr(val)"}},
		{"non-finite and unknown kinds dropped", "step", "", map[string]float64{"loss": nan()}, nil},
		{"other kind", "note", "", map[string]float64{"loss": 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range RecordPoints(tc.kind, 7, tc.split, tc.values) {
				if p.Step != 7 {
					t.Errorf("%s: step %v, want 7", p.MetricName, p.Step)
				}
				got = append(got, p.MetricName+"|"+p.MetricType+"|"+p.Short)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestWritePlotPointsBadLog(t *testing.T) {
	dir := t.TempDir()
	if err := WritePlotPoints(dir); err == nil || !strings.Contains(err.Error(), LogFile) {
		t.Errorf("missing log: error %v, want one naming %s", err, LogFile)
	}
	log := `{"kind":"step","step":1,"loss":1}` + "\n" + `{oops}` + "\n" + `{"kind":"step","step":2,"loss":1}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, LogFile), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePlotPoints(dir); err == nil || !strings.Contains(err.Error(), LogFile+":2") {
		t.Errorf("malformed line 2: error %v, want one naming %s:2", err, LogFile)
	}
	// A truncated last line (a killed run) is skipped.
	log = `{"kind":"step","step":1,"loss":1}` + "\n" + `{"kind":"st`
	if err := os.WriteFile(filepath.Join(dir, LogFile), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePlotPoints(dir); err != nil {
		t.Fatal(err)
	}
	points, err := plot.LoadPointsFromCheckpoint(dir)
	if err != nil || len(points) != 1 {
		t.Errorf("points %v (%v), want the one of step 1", points, err)
	}
}
