package main

import (
	"fmt"
	"io"

	"github.com/mrgkit/mrgkit/mrgkit/demo"
)

func init() {
	register(verb{name: "demo", summary: "the end-to-end run: synthetic data, teacher, distilled student, table, figures", run: runDemo})
}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	imageLimitFlags(fs)
	quick := fs.Bool("quick", false, "a small version that finishes in seconds (tests)")
	dataDir := fs.String("data", "", "synthetic dataset directory (generated if absent; default data/toycxr)")
	out := fs.String("out", "", "runs directory (default runs/demo)")
	figs := fs.String("figures", "", "figures directory (default figures/demo)")
	tset := fs.String("teacher-set", "", "extra hyperparameters for the teacher")
	sset := fs.String("student-set", "", "extra hyperparameters for the student")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %v", fs.Args())
	}
	sum, err := demo.Run(demo.Options{Quick: *quick, DataDir: *dataDir, Out: *out, Figures: *figs, TeacherSet: *tset, StudentSet: *sset, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum.Table())
	fmt.Fprintf(stdout, "figures: %d files; total %.0fs (data %.0fs, teacher %.0fs, student %.0fs, eval %.0fs)\n", len(sum.Figures),
		sum.Seconds["total"], sum.Seconds["data"], sum.Seconds["teacher"], sum.Seconds["student"], sum.Seconds["eval"])
	return nil
}
