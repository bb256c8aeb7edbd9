package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotVerb(t *testing.T) {
	log, err := os.ReadFile("../../plots/testdata/log.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "teacher")
	os.MkdirAll(run, 0o755)
	os.WriteFile(filepath.Join(run, "log.jsonl"), log, 0o644)
	empty := t.TempDir()

	cases := []struct {
		name      string
		args      []string
		wantCode  int
		wantFiles []string // relative to the output dir, when wantCode == 0
		wantErr   string
	}{
		{"run curves", []string{"-run", run}, 0,
			[]string{"loss.png", "loss.svg", "lr.png", "lr.svg", "val_nlg.png", "val_ce.svg"}, ""},
		{"results bars", []string{"-results", "../../plots/testdata/results.json"}, 0,
			[]string{"ablation_nlg.png", "ablation_ce.svg"}, ""},
		{"no flags", nil, 2, nil, "one of -run"},
		{"stray argument", []string{"-run", run, "x"}, 2, nil, "unexpected argument"},
		{"missing run", []string{"-run", filepath.Join(empty, "nope")}, 1, nil, "not found"},
		{"run without log", []string{"-run", empty}, 1, nil, "no training log (log.jsonl)"},
		{"missing results", []string{"-results", filepath.Join(empty, "results.json")}, 1, nil, "results.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "fig")
			var stdout, stderr bytes.Buffer
			code := Main(append(append([]string{"plot"}, c.args...), "-out", out), &stdout, &stderr)
			if c.args == nil {
				code = Main([]string{"plot"}, &stdout, &stderr)
			}
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, c.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.wantErr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), c.wantErr)
			}
			for _, f := range c.wantFiles {
				p := filepath.Join(out, f)
				if st, err := os.Stat(p); err != nil || st.Size() == 0 {
					t.Errorf("%s not written", p)
				}
				if !strings.Contains(stdout.String(), p) {
					t.Errorf("stdout does not list %s", p)
				}
			}
		})
	}
}

func TestPlotDefaultOutDir(t *testing.T) {
	log, _ := os.ReadFile("../../plots/testdata/log.jsonl")
	wd, _ := os.Getwd()
	tmp := t.TempDir()
	run := filepath.Join(tmp, "runs", "myrun")
	os.MkdirAll(run, 0o755)
	os.WriteFile(filepath.Join(run, "log.jsonl"), log, 0o644)
	if err := os.Chdir(tmp); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"plot", "-run", "runs/myrun/"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(tmp, "figures", "myrun", "loss.png")); err != nil {
		t.Errorf("default output figures/myrun/loss.png: %v", err)
	}
}
