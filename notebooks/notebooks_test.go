package notebooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// figures lists the files (relative to the figures directory,
// $MRGKIT_FIGURES) a notebook must write in smoke mode: always, and in
// addition when the real IU X-Ray data is present in ../shared/data/iu_xray.
type figures struct {
	always, withIU []string
}

// expectedFigures has an entry for every notebook in this directory.
var expectedFigures = map[string]figures{
	"01_data.ipynb": {
		always: []string{"01_data/label_stats.png", "01_data/label_stats.svg",
			"01_data/report_lengths.png", "01_data/report_lengths.svg"},
		withIU: []string{"01_data/iu_xray/report_lengths.png", "01_data/iu_xray/report_lengths.svg"},
	},
	// 05 only reads saved results; without 02/03 in this checkout it has none.
	"05_reproduce_tables.ipynb": {},
}

// iuXRayPresent reports whether the shared IU X-Ray annotation exists where
// the notebooks look for it ($MRGKIT_SHARED or <repo>/../shared).
func iuXRayPresent() bool {
	shared := os.Getenv("MRGKIT_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared")
	}
	_, err := os.Stat(filepath.Join(shared, "data", "iu_xray", "annotation.json"))
	return err == nil
}

// notebookTimeout bounds one notebook's execution (smoke mode aims at 1–2 min;
// the first run also compiles GoMLX).
const notebookTimeout = 15 * time.Minute

// requireTool skips (or, under CI=true, fails) the test when a tool is missing.
func requireTool(t *testing.T, why string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	msg := why + " — install with `make notebooks-setup` (see README, Notebooks)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// toolEnv returns the environment for Jupyter: GOPATH/bin on PATH (where
// `go install` puts gonb and goimports), pinned toolchain, no downloads, smoke mode.
func toolEnv(t *testing.T, figDir string) []string {
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	path := os.Getenv("PATH")
	if err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
			path += string(os.PathListSeparator) + filepath.Join(p, "bin")
		}
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return append(env, "PATH="+path, "GOTOOLCHAIN=go1.27.3", "GOMLX_NO_AUTO_INSTALL=1",
		"MRGKIT_SMOKE=1", "MRGKIT_FIGURES="+figDir, "MRGKIT_DATA="+filepath.Join(figDir, "_data"),
		"MRGKIT_RUNS="+filepath.Join(figDir, "_runs"))
}

func lookPath(env []string, name string) bool {
	for _, kv := range env {
		if rest, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(rest) {
				if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return true
				}
			}
		}
	}
	return false
}

// gonbKernelInstalled reports whether Jupyter can find a kernel named gonb.
func gonbKernelInstalled(env []string) bool {
	cmd := exec.Command("jupyter", "--paths", "--json")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return false
	}
	var paths struct {
		Data []string `json:"data"`
	}
	if json.Unmarshal(out, &paths) != nil {
		return false
	}
	for _, d := range paths.Data {
		if _, err := os.Stat(filepath.Join(d, "kernels", "gonb", "kernel.json")); err == nil {
			return true
		}
	}
	return false
}

func TestNotebooksExecute(t *testing.T) {
	if testing.Short() {
		t.Skip("notebooks are executed only without -short")
	}
	nbs, err := filepath.Glob("*.ipynb")
	if err != nil || len(nbs) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	sort.Strings(nbs)
	figDir := t.TempDir()
	env := toolEnv(t, figDir)
	requireTool(t, "jupyter not found", lookPath(env, "jupyter"))
	requireTool(t, "jupyter nbconvert not found", exec.Command("jupyter", "nbconvert", "--version").Run() == nil)
	requireTool(t, "gonb not found in PATH or GOPATH/bin", lookPath(env, "gonb"))
	requireTool(t, "goimports not found in PATH or GOPATH/bin", lookPath(env, "goimports"))
	requireTool(t, "GoNB Jupyter kernel not installed (gonb --install)", gonbKernelInstalled(env))

	haveIU := iuXRayPresent()
	if !haveIU {
		if os.Getenv("CI") == "true" {
			t.Fatal("../shared/data/iu_xray/annotation.json not found (set MRGKIT_SHARED)")
		}
		t.Log("real IU X-Ray data not found (../shared or $MRGKIT_SHARED): its figures are not checked")
	}
	for _, nb := range nbs {
		t.Run(strings.TrimSuffix(nb, ".ipynb"), func(t *testing.T) {
			want, ok := expectedFigures[nb]
			if !ok {
				t.Fatalf("%s has no entry in expectedFigures", nb)
			}
			outDir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), notebookTimeout)
			defer cancel()
			start := time.Now()
			cmd := exec.CommandContext(ctx, "jupyter", "nbconvert", "--to", "notebook", "--execute",
				"--ExecutePreprocessor.timeout=600", "--output-dir", outDir, nb)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			runErr := cmd.Run()
			t.Logf("%s executed in %.1fs", nb, time.Since(start).Seconds())
			executed := filepath.Join(outDir, nb)
			if errs := cellErrors(executed); len(errs) > 0 {
				t.Errorf("%s: cell errors:\n%s", nb, strings.Join(errs, "\n"))
			}
			if runErr != nil {
				msg := stderr.String()
				if i := strings.Index(msg, "CellExecutionError"); i >= 0 {
					msg = msg[i:] // the failing cell and its error, without kernel logs
				}
				t.Fatalf("%s: jupyter nbconvert: %v\n%s", nb, runErr, tail(msg, 4000))
			}
			files := want.always
			if haveIU {
				files = append(files, want.withIU...)
			}
			for _, f := range files {
				p := filepath.Join(figDir, f)
				if st, err := os.Stat(p); err != nil || st.Size() == 0 {
					t.Errorf("%s: expected figure %s not written", nb, f)
				}
			}
		})
	}
}

// cellErrors returns a description of every error output in an executed
// notebook (empty if the file is missing: nbconvert's error says why).
func cellErrors(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc struct {
		Cells []struct {
			Outputs []struct {
				OutputType string   `json:"output_type"`
				Ename      string   `json:"ename"`
				Evalue     string   `json:"evalue"`
				Traceback  []string `json:"traceback"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{fmt.Sprintf("executed notebook %s unreadable: %v", path, err)}
	}
	var errs []string
	for i, c := range doc.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				errs = append(errs, fmt.Sprintf("cell %d: %s: %s %s", i, o.Ename, o.Evalue,
					tail(strings.Join(o.Traceback, "\n"), 2000)))
			}
		}
	}
	return errs
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
