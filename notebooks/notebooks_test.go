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
	"github.com/mrgkit/mrgkit/mrgkit/notebook/browser"
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
// `go install` puts gonb and goimports), pinned toolchain, no downloads,
// smoke mode, figures, data and runs in figDir.
func toolEnv(t *testing.T, figDir string) []string {
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return browser.ToolEnv(nil, strings.TrimSpace(string(gopath)), root,
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

// badInputNotebook runs a cell against a missing data directory: it must
// fail with the one-line message naming the directory and how to make it.
const badInputNotebook = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": [
    "%env GOTOOLCHAIN=go1.27.3\n", "%env GOMLX_NO_AUTO_INSTALL=1\n",
    "!*R=$(cd \"${MRGKIT_ROOT:-$GONB_DIR/..}\" && pwd) && go mod edit -require github.com/mrgkit/mrgkit@v0.0.0 -replace github.com/mrgkit/mrgkit=$R && cp \"$R/go.sum\" go.sum"]},
  {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": [
    "import \"github.com/mrgkit/mrgkit/mrgkit/notebook\"\n", "\n", "%%\n",
    "notebook.Must1(notebook.Settings{DataDir: \"/nonexistent/toycxr\"}.Data())"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}},
 "nbformat": 4, "nbformat_minor": 4
}`

const badInputName = "zz_bad_input.ipynb"

// TestNotebooksExecute opens every notebook in headless Chromium against a
// Jupyter Notebook server and runs all its cells, in smoke mode: it fails
// on a kernel that does not start, a cell error, a figure that does not
// render in the page or is not written. Then a notebook run against a
// missing data directory must stop with a one-line message, no panic.
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
	_, toolsErr := browser.FindTools()
	requireTool(t, fmt.Sprint(toolsErr), toolsErr == nil)
	requireTool(t, "jupyter not found", lookPath(env, "jupyter"))
	requireTool(t, "jupyter notebook not found (apt-get install jupyter-notebook)", exec.Command("jupyter", "notebook", "--version").Run() == nil)
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
	// The notebooks and the bad-input one, served from a copy.
	dir := t.TempDir()
	for _, nb := range nbs {
		data, err := os.ReadFile(nb)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, nb), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, badInputName), []byte(badInputNotebook), 0o644)
	shot := filepath.Join(t.TempDir(), "02.png")
	if d := os.Getenv("MRGKIT_SCREENSHOTS"); d != "" {
		shot = filepath.Join(d, "notebook02_smoke.png")
	}
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(len(nbs)+1)*notebookTimeout)
	defer cancel()
	start := time.Now()
	results, err := browser.RunNotebooks(ctx, browser.SuiteOptions{
		Dir: dir, Notebooks: append(nbs, badInputName), Env: env, Log: &log, Out: testWriter{t},
		Shots: map[string]browser.Shot{"02_train_teacher.ipynb": {Path: shot, Contains: "TrainTeacher(settings)"}},
		Run:   browser.Options{Timeout: notebookTimeout},
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(log.String(), 4000))
	}
	t.Logf("%d notebooks in the browser in %.1fs", len(results), time.Since(start).Seconds())
	ran := map[string]bool{}
	for _, r := range results {
		if r.Name == badInputName {
			t.Run("bad_input", func(t *testing.T) { checkBadInput(t, r) })
			continue
		}
		t.Run(strings.TrimSuffix(r.Name, ".ipynb"), func(t *testing.T) {
			want, ok := expectedFigures[r.Name]
			if !ok {
				t.Fatalf("%s has no entry in expectedFigures", r.Name)
			}
			if r.Err != nil {
				t.Fatalf("%s: %v\n%s", r.Name, r.Err, tail(log.String(), 3000))
			}
			for _, e := range r.Result.Errors() {
				t.Errorf("%s: %s", r.Name, tail(e, 3000))
			}
			if r.Result.Images == 0 {
				t.Errorf("%s: no figure rendered in the page", r.Name)
			}
			if t.Failed() {
				return
			}
			ran[r.Name] = true
			files := want.always
			for _, n := range want.needs {
				if !ran[n] {
					t.Logf("%s did not run before %s: its figures are not checked", n, r.Name)
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
					t.Errorf("%s: expected figure %s not written", r.Name, f)
				}
			}
			if r.Name == "02_train_teacher.ipynb" {
				if png, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10000 {
					t.Errorf("screenshot of %s: %d bytes, %v", r.Name, len(png), err)
				}
			}
		})
	}
	if len(results) != len(nbs)+1 {
		t.Errorf("%d notebooks ran, want %d", len(results), len(nbs)+1)
	}
}

// checkBadInput: the cell against a missing data directory failed with the
// one-line message naming the directory and how to make it, no panic trace.
func checkBadInput(t *testing.T, r browser.NotebookResult) {
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if !r.Failed() {
		t.Errorf("the cell against a missing data directory did not fail")
	}
	text := outputsText(t, r.Saved)
	for _, want := range []string{"error: data directory (annotation.json) /nonexistent/toycxr not found", "mrg data synth -out /nonexistent/toycxr"} {
		if !strings.Contains(text, want) {
			t.Errorf("outputs lack %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"panic", "goroutine "} {
		if strings.Contains(text, bad) {
			t.Errorf("outputs show a Go panic trace (%q):\n%s", bad, text)
		}
	}
}

// outputsText joins the text of every output of a saved notebook.
func outputsText(t *testing.T, saved []byte) string {
	var doc struct {
		Cells []struct {
			Outputs []struct {
				Text      any      `json:"text"`
				Evalue    string   `json:"evalue"`
				Traceback []string `json:"traceback"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(saved, &doc); err != nil {
		t.Fatalf("saved notebook unreadable: %v", err)
	}
	var b strings.Builder
	for _, c := range doc.Cells {
		for _, o := range c.Outputs {
			switch x := o.Text.(type) {
			case string:
				b.WriteString(x)
			case []any:
				for _, l := range x {
					b.WriteString(fmt.Sprint(l))
				}
			}
			b.WriteString(o.Evalue + "\n" + strings.Join(o.Traceback, "\n"))
		}
	}
	return b.String()
}

// TestCommittedOutputs: every committed notebook carries the outputs of a
// full (non-smoke) run for each code cell, made from the cell's current
// source (`make notebooks-outputs`).
func TestCommittedOutputs(t *testing.T) {
	nbs, err := filepath.Glob("*.ipynb")
	if err != nil || len(nbs) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	for _, nb := range nbs {
		data, err := os.ReadFile(nb)
		if err != nil {
			t.Fatal(err)
		}
		problems, err := notebook.CheckOutputs(nb, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s — regenerate with `make notebooks-outputs`", nb, p)
		}
	}
}

// testWriter logs each line written to it.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
