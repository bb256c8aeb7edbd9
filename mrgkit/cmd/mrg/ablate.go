package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/ablate"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

func init() {
	register(verb{name: "ablate", summary: "run the ablation grid and write the paper-style table", run: runAblate})
}

func runAblate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ablate", stderr)
	imageLimitFlags(fs)
	dataDir := fs.String("data", "", "dataset directory (required)")
	dataset := fs.String("dataset", "toycxr", "dataset flavour: toycxr, iu_xray or mimic_cxr")
	images := fs.String("images", "", "image root (default DATA/images)")
	out := fs.String("out", "", "output directory (required; finished cells are reused)")
	seeds := fs.Int("seeds", ablate.DefaultSeeds, "seeds per cell (the paired tests need >= 2)")
	resamples := fs.Int("resamples", 0, "resamples of the paired tests of each row against the row it adds to (default 10000)")
	testSeed := fs.Uint64("test-seed", 1, "seed of the paired tests' resampling")
	preset := fs.String("preset", "cpu", "preset of every cell")
	set := fs.String("set", "", "hyperparameters applied to every cell")
	only := fs.String("only", "", "comma-separated rows to run (default all): "+rowNames())
	dec := decodeFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dataDir == "" || *out == "" {
		return usagef("-data and -out are required")
	}
	if *seeds < 1 {
		return usagef("-seeds must be >= 1")
	}
	if *resamples < 0 {
		return usagef("-resamples must be >= 0")
	}
	var rows []string
	if *only != "" {
		for _, r := range strings.Split(*only, ",") {
			rows = append(rows, strings.TrimSpace(r))
		}
	}
	fmt.Fprintln(stderr, backend.Describe())
	res, err := ablate.Run(ablate.Options{DataDir: *dataDir, Dataset: *dataset, ImageRoot: *images, Out: *out, Preset: *preset,
		Set: *set, Seeds: *seeds, Only: rows, Resamples: *resamples, TestSeed: *testSeed, Decode: dec(), Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Markdown())
	fmt.Fprintf(stderr, "wrote %s, %s, %s\n", filepath.Join(*out, "table.md"), filepath.Join(*out, "table.csv"), filepath.Join(*out, run.ResultsFile))
	return nil
}

func rowNames() string {
	var n []string
	for _, g := range ablate.Grid {
		n = append(n, fmt.Sprintf("%q", g.Name))
	}
	return strings.Join(n, ", ")
}
