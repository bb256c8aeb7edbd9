package data

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

// sharedIU returns the real IU X-Ray directory of shared/ (see fixture.Shared).
func sharedIU(t testing.TB) string {
	t.Helper()
	return filepath.Join(fixture.Shared(t, "data/iu_xray/annotation.json"), "data", "iu_xray")
}

// python3 returns the python3 interpreter or skips (fails under CI=true).
func python3(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err == nil {
		if err = exec.Command(p, "-c", "import re, json").Run(); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("python3 is needed for the R2Gen reference cleaner under CI=true: %v", err)
	}
	t.Skipf("python3 not available (%v): skipping the comparison with R2Gen's Python cleaner", err)
	return ""
}
