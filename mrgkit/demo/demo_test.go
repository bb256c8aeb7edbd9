package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// TestQuickDemo runs `mrg demo -quick` end to end into a temporary directory.
func TestQuickDemo(t *testing.T) {
	dir := t.TempDir()
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(Options{Quick: true, DataDir: filepath.Join(dir, "data"), Out: filepath.Join(dir, "runs"), Figures: filepath.Join(dir, "figures"), Backend: be})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, r := range sum.Rows {
		names = append(names, r.Name)
		for _, k := range []string{"BLEU_4", "ROUGE_L", "ce_micro_f1"} {
			if _, ok := r.Metrics[k]; !ok {
				t.Errorf("row %q lacks %s", r.Name, k)
			}
		}
	}
	if got := strings.Join(names, ","); got != "teacher,teacher, oracle prompts,student (adaptive KD),most frequent report,best constant report" {
		t.Errorf("rows %s", got)
	}
	// The models' rows carry the faithfulness figures (the synthetic set has
	// ground-truth labels).
	for _, r := range sum.Rows[:3] {
		for _, k := range []string{"diag_micro_f1", "text_micro_f1", "faith_micro_f1", "repeated_sentence_rate"} {
			if _, ok := r.Metrics[k]; !ok {
				t.Errorf("row %q lacks %s", r.Name, k)
			}
		}
	}
	for _, f := range []string{"test_metrics.png", "graph_adjacency.png", "attention_cardiomegaly.png", "teacher/loss.png", "student/loss.png"} {
		if st, err := os.Stat(filepath.Join(dir, "figures", f)); err != nil || st.Size() == 0 {
			t.Errorf("figure %s missing", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "summary.json")); err != nil {
		t.Error("summary.json missing")
	}
	if !strings.Contains(sum.Table(), "| teacher |") {
		t.Errorf("table:\n%s", sum.Table())
	}
}
