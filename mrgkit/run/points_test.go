package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ui/plot"
)

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
