package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
)

func init() {
	register(verb{
		name:    "score",
		summary: "NLG metrics (BLEU-1..4, METEOR, ROUGE-L, CIDEr) of generated reports, coco-caption definitions",
		run:     runScore,
	})
}

func runScore(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", stderr)
	caseFile := fs.String("case", "", `file {"gts": {id: [reference...]}, "res": {id: [hypothesis]}}`)
	refsFile := fs.String("refs", "", "references {id: string or [string]} (with -hyps)")
	hypsFile := fs.String("hyps", "", "hypotheses {id: string or [string]} (with -refs)")
	clean := fs.String("clean", "", "pass both sides through R2Gen's cleaner first: iu_xray or mimic_cxr (toycxr: the IU one)")
	synFile := fs.String("meteor-synonyms", "", "synonym file for METEOR's synonym module (one synset per line)")
	fwFile := fs.String("meteor-function-words", "", "function-word list for METEOR (one word per line; default: the kit's own)")
	wordNet := fs.Bool("meteor-wordnet", true, "METEOR's synonym module from WordNet 3.0 when installed ("+metrics.DefaultWordNetDir+" or $"+metrics.WordNetEnv+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mrg score -case FILE [-clean iu_xray|mimic_cxr]\n       mrg score -refs FILE -hyps FILE [-clean ...]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	var gts, res map[string][]string
	var err error
	switch {
	case *caseFile != "" && (*refsFile != "" || *hypsFile != ""):
		return usagef("give either -case or -refs and -hyps, not both")
	case *caseFile != "":
		gts, res, err = readCaseFile(*caseFile)
	case *refsFile != "" && *hypsFile != "":
		gts, res, err = readRefsHyps(*refsFile, *hypsFile)
	default:
		return usagef("one of -case FILE or -refs FILE -hyps FILE is required")
	}
	if err != nil {
		return err
	}
	if *clean != "" {
		fn, err := data.Cleaner(*clean)
		if err != nil {
			return usagef("-clean must be iu_xray or mimic_cxr (or toycxr), got %q", *clean)
		}
		for _, m := range []map[string][]string{gts, res} {
			for id, list := range m {
				for i := range list {
					list[i] = fn(list[i])
				}
				m[id] = list
			}
		}
	}
	opt, err := meteorOptions(*synFile, *fwFile, *wordNet)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "METEOR modules: %s\n", metrics.MeteorModules(opt))
	capped := 0
	opt.Capped = &capped
	s, err := metrics.ScoreWith(gts, res, opt)
	if err != nil {
		return err
	}
	if capped > 0 {
		fmt.Fprintf(stderr, "mrg score: note: METEOR's aligner considered at most %d candidate matches per word and module in %d hypothesis-reference pair(s) (repetitive text); METEOR there may differ from Meteor 1.5's\n",
			metrics.MeteorMaxCandidates, capped)
	}
	return writeJSON(stdout, s)
}

// stringOrList is a JSON string or array of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", abbreviate(b))
	}
	*s = many
	return nil
}

func abbreviate(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// readIDMap reads {id: string or [string]} from a file, naming the file in errors.
func readIDMap(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeIDMap(path, b)
}

func decodeIDMap(path string, b []byte) (map[string][]string, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object {id: string or [string]}: %v", path, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: no entries", path)
	}
	out := make(map[string][]string, len(raw))
	for _, id := range sortedKeys(raw) {
		var v stringOrList
		if err := json.Unmarshal(raw[id], &v); err != nil {
			return nil, fmt.Errorf("%s: entry %q: %v", path, id, err)
		}
		out[id] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readCaseFile(path string) (gts, res map[string][]string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil, fmt.Errorf("%s: empty file", path)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, fmt.Errorf(`%s: want {"gts": {...}, "res": {...}}: %v`, path, err)
	}
	for _, k := range []string{"gts", "res"} {
		if _, ok := raw[k]; !ok {
			return nil, nil, fmt.Errorf(`%s: missing %q (want {"gts": {id: [reference...]}, "res": {id: [hypothesis]}})`, path, k)
		}
	}
	if gts, err = decodeIDMap(path+` "gts"`, raw["gts"]); err != nil {
		return nil, nil, err
	}
	if res, err = decodeIDMap(path+` "res"`, raw["res"]); err != nil {
		return nil, nil, err
	}
	if err := sameIDs(path+` "gts"`, gts, path+` "res"`, res); err != nil {
		return nil, nil, err
	}
	return gts, res, nil
}

func readRefsHyps(refsPath, hypsPath string) (gts, res map[string][]string, err error) {
	if gts, err = readIDMap(refsPath); err != nil {
		return nil, nil, err
	}
	if res, err = readIDMap(hypsPath); err != nil {
		return nil, nil, err
	}
	if err := sameIDs(refsPath, gts, hypsPath, res); err != nil {
		return nil, nil, err
	}
	return gts, res, nil
}

// sameIDs checks two id maps have the same ids and names the first missing one.
func sameIDs[A, B any](nameA string, a map[string]A, nameB string, b map[string]B) error {
	for _, id := range sortedKeys(a) {
		if _, ok := b[id]; !ok {
			return fmt.Errorf("id %q is in %s but not in %s", id, nameA, nameB)
		}
	}
	for _, id := range sortedKeys(b) {
		if _, ok := a[id]; !ok {
			return fmt.Errorf("id %q is in %s but not in %s", id, nameB, nameA)
		}
	}
	return nil
}
