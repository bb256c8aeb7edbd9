package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

func init() {
	register(verb{
		name:    "plot",
		summary: "draw figures: loss/lr/metric curves of a run, ablation bar charts",
		run:     runPlot,
	})
}

func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", stderr)
	rdir := fs.String("run", "", "run directory containing log.jsonl: draws loss, learning-rate and per-epoch metric curves")
	results := fs.String("results", "", "ablation results.json: draws bar charts of mean ± std over seeds")
	out := fs.String("out", "", "output directory (default figures/<run or results directory name>)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mrg plot -run RUN [-out DIR]\n       mrg plot -results DIR/results.json [-out DIR]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *rdir == "" && *results == "" {
		return usagef("one of -run RUN or -results FILE is required")
	}
	var written []string
	if *rdir != "" {
		logPath := run.Dir(*rdir).Log()
		if st, err := os.Stat(*rdir); err != nil || !st.IsDir() {
			return fmt.Errorf("run directory %s not found", *rdir)
		}
		if _, err := os.Stat(logPath); err != nil {
			return fmt.Errorf("%s: no training log (log.jsonl) in the run directory", logPath)
		}
		dir := *out
		if dir == "" {
			dir = filepath.Join("figures", baseName(*rdir))
		}
		paths, err := plots.LossCurves(logPath, dir)
		written = append(written, paths...)
		if err != nil {
			return err
		}
		if len(paths) == 0 {
			return fmt.Errorf("%s: nothing to plot: no finite loss, learning rate or metric values (NaN or infinite values are not drawn)", logPath)
		}
	}
	if *results != "" {
		if st, err := os.Stat(*results); err == nil && st.IsDir() {
			*results = filepath.Join(*results, run.ResultsFile)
		}
		dir := *out
		if dir == "" {
			dir = filepath.Join("figures", baseName(filepath.Dir(*results)))
		}
		paths, err := plots.AblationBars(*results, dir)
		written = append(written, paths...)
		if err != nil {
			return err
		}
	}
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	return nil
}

// baseName is the last element of an absolute, cleaned path ("runs/x/" → "x").
func baseName(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return filepath.Base(filepath.Clean(p))
}
