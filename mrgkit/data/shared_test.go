package data

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sharedIU returns ../shared/data/iu_xray (relative to the repo root), or
// skips the test (fails it under CI=true) when it is missing.
func sharedIU(t testing.TB) string {
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
	// ../shared from the repo root; a git worktree nested deeper finds it
	// further up (e.g. /work/wt/data -> /work/shared).
	p := filepath.Join(dir, "..", "shared", "data", "iu_xray")
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		q := filepath.Join(d, "shared", "data", "iu_xray")
		if _, err := os.Stat(filepath.Join(q, "annotation.json")); err == nil {
			p = q
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if _, err := os.Stat(filepath.Join(p, "annotation.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real IU X-Ray data missing at %s (required under CI=true)", p)
		}
		t.Skipf("real IU X-Ray data not found at %s: skipping", p)
	}
	return p
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
