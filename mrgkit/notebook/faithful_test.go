package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
