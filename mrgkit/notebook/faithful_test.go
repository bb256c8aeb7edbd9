package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
)

func posLabels(pos ...int) chexpert.Labels {
	var l chexpert.Labels
	for i := range l {
		l[i] = chexpert.Negative
	}
	for _, p := range pos {
		l[p] = chexpert.Positive
	}
	return l
}

func TestOmissions(t *testing.T) {
	// Observation indices: 0 No Finding, then the findings in chexpert.Observations order.
	res := &eval.Result{Split: "test", Studies: []eval.Study{
		{ID: "all said", Predicted: posLabels(1, 2), GenLabels: posLabels(1, 2)},
		{ID: "one omitted", Predicted: posLabels(1, 2), GenLabels: posLabels(1)},
		{ID: "no finding only", Predicted: posLabels(chexpert.NoFinding), GenLabels: posLabels()},
		{ID: "two omitted", Predicted: posLabels(3, 4), GenLabels: posLabels(5)},
	}}
	got := Omissions(res, 0)
	var ids []string
	for _, o := range got {
		ids = append(ids, o.Study.ID+":"+strings.Join(o.Omitted, ","))
	}
	want := "two omitted:" + chexpert.Observations[3] + "," + chexpert.Observations[4] + " one omitted:" + chexpert.Observations[2]
	if strings.Join(ids, " ") != want {
		t.Errorf("Omissions = %q, want %q", strings.Join(ids, " "), want)
	}
	if got := Omissions(res, 1); len(got) != 1 || got[0].Study.ID != "two omitted" {
		t.Errorf("Omissions(n=1) = %v", got)
	}
}

func TestEvalResult(t *testing.T) {
	rdir := t.TempDir()
	if _, err := EvalResult(rdir, "test", ""); !IsMissing(err) || !strings.Contains(err.Error(), "mrg eval -run "+rdir) {
		t.Errorf("missing evaluation: %v", err)
	}
	os.MkdirAll(filepath.Join(rdir, "eval_test_truth"), 0o755)
	os.WriteFile(filepath.Join(rdir, "eval_test_truth", "reports.json"), []byte(`[{"id":"a","generated":"x"}]`), 0o644)
	res, err := EvalResult(rdir, "test", "truth")
	if err != nil || len(res.Studies) != 1 || res.Studies[0].ID != "a" || res.Split != "test" {
		t.Errorf("EvalResult = %+v, %v", res, err)
	}
	os.WriteFile(filepath.Join(rdir, "eval_test_truth", "reports.json"), []byte(`{"id":"a"}`), 0o644)
	if _, err := EvalResult(rdir, "test", "truth"); err == nil || !strings.Contains(err.Error(), "reports.json") {
		t.Errorf("malformed reports: %v", err)
	}
}
