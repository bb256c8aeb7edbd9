package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/labeler"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
)

func init() {
	register(verb{
		name:    "label",
		summary: "CheXpert-style labels of reports (rule labeler), or clinical efficacy with -ce",
		run:     runLabel,
	})
}

func runLabel(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("label", stderr)
	in := fs.String("in", "", "reports {id: report}")
	ce := fs.Bool("ce", false, "clinical efficacy of -hyps against -refs instead of labels")
	refsFile := fs.String("refs", "", "reference reports {id: report} (with -ce; labelled by the rule labeler)")
	hypsFile := fs.String("hyps", "", "generated reports {id: report} (with -ce; labelled by the rule labeler)")
	refLabelsFile := fs.String("ref-labels", "", "labels of the references from another labeler, {id: [14 states]} (with -ce, instead of -refs)")
	hypLabelsFile := fs.String("hyp-labels", "", "labels of the generated reports from another labeler (with -ce, instead of -hyps)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mrg label -in FILE\n       mrg label -ce (-refs FILE | -ref-labels FILE) (-hyps FILE | -hyp-labels FILE)")
		fmt.Fprintln(stderr, "label files: {id: [14 states]} in CheXpert order (1 positive, 0 negative, -1 uncertain, null blank),\nor {id: {observation: state}} as mrg label -in writes")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *ce {
		if *in != "" {
			return usagef("-ce takes -refs/-ref-labels and -hyps/-hyp-labels, not -in")
		}
		refName, rl, err := labelSide("-refs", *refsFile, "-ref-labels", *refLabelsFile)
		if err != nil {
			return err
		}
		hypName, hl, err := labelSide("-hyps", *hypsFile, "-hyp-labels", *hypLabelsFile)
		if err != nil {
			return err
		}
		if err := sameIDs(refName, rl, hypName, hl); err != nil {
			return err
		}
		ids := sortedKeys(rl)
		var r, h []chexpert.Labels
		for _, id := range ids {
			r = append(r, rl[id])
			h = append(h, hl[id])
		}
		res, err := metrics.ClinicalEfficacy(r, h)
		if err != nil {
			return err
		}
		return writeJSON(stdout, res)
	}
	if *in == "" {
		return usagef("-in FILE is required (or -ce -refs FILE -hyps FILE)")
	}
	if *refsFile != "" || *hypsFile != "" || *refLabelsFile != "" || *hypLabelsFile != "" {
		return usagef("-refs, -hyps, -ref-labels and -hyp-labels go with -ce")
	}
	reports, err := readReports(*in)
	if err != nil {
		return err
	}
	labels := labeler.LabelAll(reports)
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, id := range sortedKeys(labels) {
		if i > 0 {
			buf.WriteString(",")
		}
		k, _ := json.Marshal(id)
		fmt.Fprintf(&buf, "\n  %s: {", k)
		for o, name := range chexpert.Observations {
			if o > 0 {
				buf.WriteString(", ")
			}
			v, _ := labels[id][o].MarshalJSON()
			fmt.Fprintf(&buf, "%q: %s", name, v)
		}
		buf.WriteString("}")
	}
	buf.WriteString("\n}\n")
	_, err = stdout.Write(buf.Bytes())
	return err
}

// readReports reads {id: report} (a one-element list is accepted too).
func readReports(path string) (map[string]string, error) {
	m, err := readIDMap(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for _, id := range sortedKeys(m) {
		if len(m[id]) != 1 {
			return nil, fmt.Errorf("%s: entry %q: want one report, got %d", path, id, len(m[id]))
		}
		out[id] = m[id][0]
	}
	return out, nil
}

// labelSide returns one side's labels for -ce: the rule labeler on a
// reports file, or a label file, exactly one of the two; name is the file.
func labelSide(repFlag, repFile, labFlag, labFile string) (name string, labels map[string]chexpert.Labels, err error) {
	switch {
	case repFile != "" && labFile != "":
		return "", nil, usagef("give %s or %s, not both", repFlag, labFlag)
	case labFile != "":
		l, err := readLabelFile(labFile)
		return labFile, l, err
	case repFile != "":
		reports, err := readReports(repFile)
		if err != nil {
			return "", nil, err
		}
		return repFile, labeler.LabelAll(reports), nil
	}
	return "", nil, usagef("-ce needs %s FILE or %s FILE", repFlag, labFlag)
}

// readLabelFile reads another labeler's output: {id: [14 states]} in
// chexpert.Observations order, each state 1, 0, -1 or null (CheXpert's CSV
// convention; 1.0 etc. too), or {id: {observation: state}} as `mrg label`
// writes it (missing observations blank). Errors name the file, the id and
// the position.
func readLabelFile(path string) (map[string]chexpert.Labels, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object {id: [%d label states]}: %v", path, chexpert.NumObservations, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: no entries", path)
	}
	out := make(map[string]chexpert.Labels, len(raw))
	for _, id := range sortedKeys(raw) {
		v := bytes.TrimSpace(raw[id])
		var l chexpert.Labels
		switch {
		case len(v) > 0 && v[0] == '[':
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, fmt.Errorf("%s: id %q: %v", path, id, err)
			}
			if len(list) != chexpert.NumObservations {
				return nil, fmt.Errorf("%s: id %q: %d label states, want %d (CheXpert order: %s, ..., %s)", path, id, len(list),
					chexpert.NumObservations, chexpert.Observations[0], chexpert.Observations[chexpert.NumObservations-1])
			}
			for o, s := range list {
				if err := l[o].UnmarshalJSON(bytes.TrimSpace(s)); err != nil {
					return nil, fmt.Errorf("%s: id %q: index %d (%s): %v", path, id, o, chexpert.Observations[o], err)
				}
			}
		case len(v) > 0 && v[0] == '{':
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(v, &obj); err != nil {
				return nil, fmt.Errorf("%s: id %q: %v", path, id, err)
			}
			for _, name := range sortedKeys(obj) {
				o := chexpert.Index(name)
				if o < 0 {
					return nil, fmt.Errorf("%s: id %q: unknown observation %q", path, id, name)
				}
				if err := l[o].UnmarshalJSON(bytes.TrimSpace(obj[name])); err != nil {
					return nil, fmt.Errorf("%s: id %q: %q: %v", path, id, name, err)
				}
			}
		default:
			return nil, fmt.Errorf("%s: id %q: want a list of %d label states, got %s", path, id, chexpert.NumObservations, abbreviate(v))
		}
		out[id] = l
	}
	return out, nil
}
