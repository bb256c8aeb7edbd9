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

	"github.com/mrgkit/mrgkit/mrgkit/notebook"
)

// figures lists the files (relative to the figures directory,
// $MRGKIT_FIGURES; filepath.Match patterns allowed) a notebook must write in
// smoke mode: always, and in addition when the real IU X-Ray data is present
// in ../shared/data/iu_xray.
type figures struct {
	always, withIU []string
	// needs are notebooks whose saved runs this one reads: when one of them
	// did not run earlier in this test (e.g. -run selects a single notebook),
	// the "always" figures are not required.
	needs []string
}

// both returns name.png and name.svg for each name.
func both(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n+".png", n+".svg")
	}
	return out
}

// expectedFigures has an entry for every notebook in this directory. The
// notebooks run in name order and later ones reuse earlier runs (03 and 04
// the teacher of 02, 05 the evaluations of 02 and 03).
var expectedFigures = map[string]figures{
	"01_data.ipynb": {
		always: both("01_data/label_stats", "01_data/report_lengths"),
		withIU: both("01_data/iu_xray/report_lengths"),
	},
	"02_train_teacher.ipynb": {
		always: both("02_train_teacher/loss", "02_train_teacher/lr", "02_train_teacher/val_nlg", "02_train_teacher/val_ce"),
	},
	"03_distillation_ablations.ipynb": {
		always: both("03_distillation_ablations/student/loss", "03_distillation_ablations/teacher_vs_student_nlg",
			"03_distillation_ablations/teacher_vs_student_ce", "03_distillation_ablations/ablation_nlg",
			"03_distillation_ablations/ablation_ce"),
	},
	"04_attention_and_graph.ipynb": {
		always: both("04_attention_and_graph/attention_*", "04_attention_and_graph/chosen/attention_*_cardiomegaly",
			"04_attention_and_graph/graph_adjacency", "04_attention_and_graph/node_similarity"),
	},
	"05_reproduce_tables.ipynb": {
		always: both("05_reproduce_tables/results_nlg", "05_reproduce_tables/results_ce"),
		needs:  []string{"02_train_teacher.ipynb"},
	},
}

// iuXRayPresent reports whether the shared IU X-Ray annotation exists where
// the notebooks look for it (notebook.SharedDir), and that directory.
func iuXRayPresent() (bool, string) {
	shared, err := notebook.SharedDir()
	if err != nil {
		return false, ""
	}
	_, err = os.Stat(filepath.Join(shared, "data", "iu_xray", "annotation.json"))
	return err == nil, shared
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

	haveIU, shared := iuXRayPresent()
	if haveIU {
		env = append(env, "MRGKIT_SHARED="+shared)
	} else {
		if os.Getenv("CI") == "true" {
			t.Fatal("../shared/data/iu_xray/annotation.json not found (set MRGKIT_SHARED)")
		}
		t.Log("real IU X-Ray data not found (../shared or $MRGKIT_SHARED): its figures are not checked")
	}
	ran := map[string]bool{}
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
			ran[nb] = true
			files := want.always
			for _, n := range want.needs {
				if !ran[n] {
					t.Logf("%s did not run before %s: its figures are not checked", n, nb)
					files = nil
				}
			}
			if haveIU {
				files = append(files, want.withIU...)
			}
			for _, f := range files {
				matches, _ := filepath.Glob(filepath.Join(figDir, f))
				ok := len(matches) > 0
				for _, m := range matches {
					if st, err := os.Stat(m); err != nil || st.Size() == 0 {
						ok = false
					}
				}
				if !ok {
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
