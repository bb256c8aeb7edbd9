package metrics

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

// sharedDir returns shared/ with its eval/ files (see fixture.Shared).
func sharedDir(t testing.TB) string {
	t.Helper()
	return fixture.Shared(t, "eval")
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
