package main

import (
	"fmt"
	"io"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/distill"
)

func init() {
	register(verb{name: "distill", summary: "train a student against a frozen teacher (phase 2)", run: runDistill})
}

func runDistill(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("distill", stderr)
	imageLimitFlags(fs)
	teacher := fs.String("teacher", "", "teacher run directory (required)")
	dataDir := fs.String("data", "", "dataset directory (default: the teacher's)")
	dataset := fs.String("dataset", "", "dataset flavour (default: the teacher's)")
	images := fs.String("images", "", "image root (default: the teacher's)")
	preset := fs.String("preset", "", "student preset (default: the teacher's)")
	set := fs.String("set", "", `hyperparameters, e.g. "kd_adaptive=true;kd_temperature=4;d_model=64"`)
	out := fs.String("out", "", "student run directory (required; an existing run is resumed)")
	force := fs.Bool("force", false, "start a new student in a non-empty -out that holds no student run to resume (replaces the kit's files there, keeps others)")
	rounds := fs.Int("rounds", 1, "iterative distillation rounds (each student teaches the next)")
	maxSteps := fs.Int("max-steps", 0, "stop after this many global steps (checkpointed)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *teacher == "" || *out == "" {
		return usagef("-teacher and -out are required")
	}
	if *rounds < 1 {
		return usagef("-rounds must be >= 1")
	}
	fmt.Fprintln(stderr, backend.Describe())
	_, err := distill.Distill(distill.Options{Teacher: *teacher, DataDir: *dataDir, Dataset: *dataset, ImageRoot: *images,
		Preset: *preset, Set: *set, Out: *out, Rounds: *rounds, Progress: stderr, MaxSteps: *maxSteps, Force: *force})
	return err
}
