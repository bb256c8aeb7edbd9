package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/labeler"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

func init() {
	register(verb{
		name:    "compare",
		summary: "paired significance tests of two systems on the same studies (approximate randomization, bootstrap CIs)",
		run:     runCompare,
	})
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	aArg := fs.String("a", "", "system A: a run directory (reads RUN/eval_SPLIT/reports.json), or with -refs a hypotheses file {id: report}")
	bArg := fs.String("b", "", "system B, like -a")
	split := fs.String("split", "test", "split of the runs' evaluations (run form)")
	refsFile := fs.String("refs", "", "references {id: string or [string]} (file form)")
	clean := fs.String("clean", "", "file form: pass references and hypotheses through R2Gen's cleaner first: iu_xray (iu), mimic_cxr (mimic), toycxr (the IU one) or none")
	refLabels := fs.String("ref-labels", "", "labels of the references from another labeler, {id: [14 states]} (instead of the rule labeler)")
	aLabels := fs.String("a-labels", "", "labels of A's reports from another labeler")
	bLabels := fs.String("b-labels", "", "labels of B's reports from another labeler")
	resamples := fs.Int("resamples", metrics.DefaultResamples, "approximate-randomization shuffles and bootstrap resamples")
	seed := fs.Uint64("seed", 1, "seed of the shuffles and resamples")
	out := fs.String("out", "", "also write the comparison as JSON to this file")
	synFile := fs.String("meteor-synonyms", "", "synonym file for METEOR's synonym module (one synset per line)")
	fwFile := fs.String("meteor-function-words", "", "function-word list for METEOR (one word per line; default: the kit's own)")
	wordNet := fs.Bool("meteor-wordnet", true, "METEOR's synonym module from WordNet 3.0 when installed ("+metrics.DefaultWordNetDir+" or $"+metrics.WordNetEnv+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mrg compare -a RUN_A -b RUN_B [-split test] [-out FILE]\n       mrg compare -refs REFS.json -a HYPS_A.json -b HYPS_B.json [-clean iu_xray|mimic_cxr] [-out FILE]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *aArg == "" || *bArg == "" {
		return usagef("-a and -b are required")
	}
	if *resamples < 1 {
		return usagef("-resamples must be >= 1, got %d", *resamples)
	}
	var in metrics.PairedInput
	var err error
	var what string
	if *refsFile != "" {
		in, err = compareFiles(*refsFile, *aArg, *bArg, *clean)
		what = fmt.Sprintf("references %s; A %s; B %s", *refsFile, *aArg, *bArg)
	} else {
		if *clean != "" {
			return usagef("-clean goes with -refs (a run's reports are already cleaned)")
		}
		in, err = compareRuns(*aArg, *bArg, *split)
		what = fmt.Sprintf("split %s; A %s; B %s", *split, *aArg, *bArg)
	}
	if err != nil {
		return err
	}
	// Label files replace whichever labels the rule labeler gave.
	for _, lf := range []struct {
		file string
		dst  *map[string]chexpert.Labels
	}{{*refLabels, &in.RefLabels}, {*aLabels, &in.ALabels}, {*bLabels, &in.BLabels}} {
		if lf.file == "" {
			continue
		}
		l, err := readLabelFile(lf.file)
		if err != nil {
			return err
		}
		if err := sameIDs(lf.file, l, "the compared reports", in.A); err != nil {
			return err
		}
		*lf.dst = l
	}
	if in.RefLabels == nil {
		fmt.Fprintln(stderr, "note: some ids have several references and no -ref-labels was given: CE left out")
		in.ALabels, in.BLabels = nil, nil
	}
	if in.Meteor, err = meteorOptions(*synFile, *fwFile, *wordNet); err != nil {
		return err
	}
	p, err := metrics.NewPaired(in)
	if err != nil {
		return err
	}
	res := p.Compare(*resamples, *seed)
	labelSrc := "rule labeler"
	if *refLabels != "" || *aLabels != "" || *bLabels != "" {
		labelSrc = "label files where given, rule labeler elsewhere"
	}
	fmt.Fprintf(stdout, "%s\n%d studies; %d shuffles (approximate randomization) and %d bootstrap resamples, seed %d\n",
		what, len(p.IDs), *resamples, *resamples, *seed)
	fmt.Fprintf(stdout, "METEOR modules: %s; CE labels: %s\n\n", metrics.MeteorModules(in.Meteor), labelSrc)
	fmt.Fprintf(stdout, "%-14s %9s %9s %10s   %-22s %s\n", "metric", "A", "B", "B-A", "95% CI (bootstrap)", "p (AR)")
	for _, k := range p.Keys {
		c := res[k]
		star := ""
		if c.P < 0.05 {
			star = " *"
		}
		fmt.Fprintf(stdout, "%-14s %9.4f %9.4f %+10.4f   [%+.4f, %+.4f]   %.4f%s\n", k, c.A, c.B, c.Diff, c.CI[0], c.CI[1], c.P, star)
	}
	if *out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*out, append(b, '\n')); err != nil {
			return fmt.Errorf("writing %s: %v", *out, err)
		}
	}
	return nil
}

// compareFiles is the -refs form: {id: report} files, CE from the rule
// labeler on the (cleaned) text; reference labels only where every id has
// exactly one reference.
func compareFiles(refsPath, aPath, bPath, clean string) (metrics.PairedInput, error) {
	var in metrics.PairedInput
	refs, err := readIDMap(refsPath)
	if err != nil {
		return in, err
	}
	a, err := readIDMap(aPath)
	if err != nil {
		return in, err
	}
	b, err := readIDMap(bPath)
	if err != nil {
		return in, err
	}
	if err := sameIDs(aPath, a, bPath, b); err != nil {
		return in, err
	}
	if err := sameIDs(refsPath, refs, aPath, a); err != nil {
		return in, err
	}
	switch clean {
	case "none":
		clean = ""
	case "iu":
		clean = "iu_xray"
	case "mimic":
		clean = "mimic_cxr"
	}
	if clean != "" {
		fn, err := data.Cleaner(clean)
		if err != nil {
			return in, usagef("-clean must be iu_xray (iu), mimic_cxr (mimic), toycxr or none, got %q", clean)
		}
		for _, m := range []map[string][]string{refs, a, b} {
			for _, list := range m {
				for i := range list {
					list[i] = fn(list[i])
				}
			}
		}
	}
	in.Refs, in.A, in.B = refs, a, b
	in.ALabels, in.BLabels = labelMap(a), labelMap(b)
	in.RefLabels = labelMap(refs)
	return in, nil
}

// labelMap labels each id's only report; nil if some id has several.
func labelMap(m map[string][]string) map[string]chexpert.Labels {
	out := make(map[string]chexpert.Labels, len(m))
	for id, list := range m {
		if len(list) != 1 {
			return nil
		}
		out[id] = labeler.Label(list[0])
	}
	return out
}

// compareRuns is the run form: both runs' RUN/eval_SPLIT/reports.json (as
// `mrg eval` writes them), with the labels stored there.
func compareRuns(runA, runB, split string) (metrics.PairedInput, error) {
	var in metrics.PairedInput
	pa, sa, err := readRunReports(runA, split)
	if err != nil {
		return in, err
	}
	pb, sb, err := readRunReports(runB, split)
	if err != nil {
		return in, err
	}
	byID := func(path string, studies []eval.Study) (map[string]eval.Study, error) {
		m := make(map[string]eval.Study, len(studies))
		for _, s := range studies {
			if _, dup := m[s.ID]; dup {
				return nil, fmt.Errorf("%s: study %q appears twice", path, s.ID)
			}
			m[s.ID] = s
		}
		return m, nil
	}
	ma, err := byID(pa, sa)
	if err != nil {
		return in, err
	}
	mb, err := byID(pb, sb)
	if err != nil {
		return in, err
	}
	if err := sameIDs(pa, ma, pb, mb); err != nil {
		return in, fmt.Errorf("the runs were evaluated on different studies: %v", err)
	}
	in = metrics.PairedInput{Refs: map[string][]string{}, A: map[string][]string{}, B: map[string][]string{},
		RefLabels: map[string]chexpert.Labels{}, ALabels: map[string]chexpert.Labels{}, BLabels: map[string]chexpert.Labels{}}
	for _, id := range sortedKeys(ma) {
		x, y := ma[id], mb[id]
		if x.Reference != y.Reference {
			return in, fmt.Errorf("study %q has different references in %s and %s (different data or cleaning)", id, pa, pb)
		}
		in.Refs[id] = []string{x.Reference}
		in.A[id], in.B[id] = []string{x.Generated}, []string{y.Generated}
		in.RefLabels[id], in.ALabels[id], in.BLabels[id] = x.RefLabels, x.GenLabels, y.GenLabels
	}
	return in, nil
}

// readRunReports finds and reads a run's evaluation of a split: RUN/eval_SPLIT/
// reports.json, or DIR/reports.json, or the file itself.
func readRunReports(arg, split string) (string, []eval.Study, error) {
	path := arg
	if st, err := os.Stat(arg); err != nil {
		return "", nil, err
	} else if st.IsDir() {
		path = run.Dir(arg).Reports(split)
		if _, err := os.Stat(path); err != nil {
			if alt := filepath.Join(arg, run.ReportsFile); fileExists(alt) {
				path = alt
			} else {
				return "", nil, fmt.Errorf("%s: no evaluation of split %q (run `mrg eval -run %s -split %s` first)", path, split, arg, split)
			}
		}
	}
	studies, err := run.ReadReports(path)
	if err != nil {
		return "", nil, err
	}
	if len(studies) == 0 {
		return "", nil, fmt.Errorf("%s: no studies", path)
	}
	for i, s := range studies {
		if strings.TrimSpace(s.ID) == "" {
			return "", nil, fmt.Errorf("%s: study %d has no id", path, i)
		}
	}
	return path, studies, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// meteorOptions loads -meteor-synonyms and -meteor-function-words;
// wordNet false turns the WordNet default off.
func meteorOptions(synFile, fwFile string, wordNet bool) (metrics.MeteorOptions, error) {
	opt := metrics.MeteorOptions{NoWordNet: !wordNet}
	if synFile != "" {
		f, err := os.Open(synFile)
		if err != nil {
			return opt, err
		}
		defer f.Close()
		if opt.Synonyms, err = metrics.LoadSynonyms(f); err != nil {
			return opt, fmt.Errorf("%s: %v", synFile, err)
		}
	}
	if fwFile != "" {
		f, err := os.Open(fwFile)
		if err != nil {
			return opt, err
		}
		defer f.Close()
		if opt.FunctionWords, err = metrics.ReadWordList(f); err != nil {
			return opt, fmt.Errorf("%s: %v", fwFile, err)
		}
	}
	return opt, nil
}
