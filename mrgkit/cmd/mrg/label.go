package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

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
	refsFile := fs.String("refs", "", "reference reports {id: report} (with -ce)")
	hypsFile := fs.String("hyps", "", "generated reports {id: report} (with -ce)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mrg label -in FILE\n       mrg label -ce -refs FILE -hyps FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *ce {
		if *refsFile == "" || *hypsFile == "" || *in != "" {
			return usagef("-ce needs -refs FILE and -hyps FILE (and no -in)")
		}
		refs, err := readReports(*refsFile)
		if err != nil {
			return err
		}
		hyps, err := readReports(*hypsFile)
		if err != nil {
			return err
		}
		if err := sameIDs(*refsFile, refs, *hypsFile, hyps); err != nil {
			return err
		}
		rl, hl := labeler.LabelAll(refs), labeler.LabelAll(hyps)
		ids := sortedKeys(refs)
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
