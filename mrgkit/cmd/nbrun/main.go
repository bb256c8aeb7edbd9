// Command nbrun executes mrgkit's notebooks in a real browser: a Jupyter
// Notebook server and headless Chromium (package notebook/browser) run all
// cells of each notebook as a researcher's Run All would. With -write it
// stamps the outputs (cell source hashes) and writes them back into the
// notebooks: `make notebooks-outputs`.
//
//	go run ./mrgkit/cmd/nbrun [-smoke] [-write] [-shot NB=PNG] [notebook.ipynb ...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mrgkit/mrgkit/mrgkit/notebook"
	"github.com/mrgkit/mrgkit/mrgkit/notebook/browser"
)

func main() {
	dir := flag.String("dir", "notebooks", "the notebooks directory")
	smoke := flag.Bool("smoke", false, "smoke mode (MRGKIT_SMOKE=1): tiny sizes")
	write := flag.Bool("write", false, "stamp the outputs and write them into the notebooks")
	shot := flag.String("shot", "", "NOTEBOOK=PNG[:TEXT]: a screenshot of NOTEBOOK after it ran, scrolled to the first cell containing TEXT")
	timeout := flag.Duration("timeout", 60*time.Minute, "for each notebook")
	logPath := flag.String("log", "", "write the Jupyter server's and chromedriver's logs to this file")
	flag.Parse()
	if err := run(*dir, *smoke, *write, *shot, *timeout, *logPath, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "nbrun:", err)
		os.Exit(1)
	}
}

func run(dir string, smoke, write bool, shot string, timeout time.Duration, logPath string, names []string) error {
	root, err := notebook.RepoRoot()
	if err != nil {
		return err
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	var extra []string
	if smoke {
		extra = append(extra, notebook.SmokeEnv+"=1")
	} else {
		extra = append(extra, notebook.SmokeEnv+"=")
	}
	opts := browser.SuiteOptions{
		Dir:       dir,
		Notebooks: nil,
		Env:       browser.ToolEnv(nil, strings.TrimSpace(string(gopath)), root, extra...),
		Write:     write,
		Info:      map[string]any{"smoke": smoke, "outputs": "make notebooks-outputs (mrgkit/cmd/nbrun, headless Chromium)"},
		Out:       os.Stdout,
		Run: browser.Options{Timeout: timeout, Progress: func(done, total int) {
			fmt.Fprintf(os.Stdout, "\r  %d/%d cells", done, total)
		}},
	}
	for _, n := range names {
		opts.Notebooks = append(opts.Notebooks, filepath.Base(n))
	}
	if shot != "" {
		nb, spec, ok := strings.Cut(shot, "=")
		if !ok {
			return fmt.Errorf("-shot %q: want NOTEBOOK=PNG[:TEXT]", shot)
		}
		path, text, _ := strings.Cut(spec, ":")
		opts.Shots = map[string]browser.Shot{nb: {Path: path, Contains: text}}
	}
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.Log = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := browser.RunNotebooks(ctx, opts)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Failed() {
			failed++
			if r.Result != nil {
				for _, e := range r.Result.Errors() {
					fmt.Fprintf(os.Stderr, "%s: %s\n", r.Name, e)
				}
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d notebooks failed", failed, len(results))
	}
	return nil
}
