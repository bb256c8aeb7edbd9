package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns ../shared next to the repository root (or $MRGKIT_SHARED),
// skipping (or failing under CI=true) when it is missing.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if env := os.Getenv("MRGKIT_SHARED"); env != "" {
		shared = env // for worktrees that do not sit next to shared/
	}
	if _, err := os.Stat(filepath.Join(shared, "eval")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing at %s (CI=true)", shared)
		}
		t.Skipf("shared data missing at %s: skipping tests on real reports", shared)
	}
	return shared
}

// caseFile is the {"gts": ..., "res": ...} shape of ../shared/eval/*.json.
type caseFile struct {
	Gts map[string][]string `json:"gts"`
	Res map[string][]string `json:"res"`
}

func readCase(t testing.TB, path string) caseFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c caseFile
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}
