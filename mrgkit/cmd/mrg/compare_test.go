package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/metrics"
)

func readComparison(t *testing.T, path string) map[string]metrics.Comparison {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]metrics.Comparison
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return m
}

const (
	cmpRefs = `{"1": "the heart is enlarged .", "2": "there is a small left pleural effusion .", "3": "no acute disease .", "4": "mild edema ."}`
	cmpBad  = `{"1": "lungs are clear .", "2": "no acute disease .", "3": "the heart is enlarged .", "4": "no pneumothorax ."}`
)

func TestCompareFilesIdenticalAndBetter(t *testing.T) {
	dir := t.TempDir()
	refs := writeFile(t, dir, "refs.json", cmpRefs)
	bad := writeFile(t, dir, "bad.json", cmpBad)
	out := filepath.Join(dir, "cmp.json")
	code, stdout, stderr := runMain("compare", "-refs", refs, "-a", bad, "-b", bad, "-resamples", "500", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readComparison(t, out)
	if len(got) != len(metrics.PairedKeys) {
		t.Errorf("%d keys, want %d: %v", len(got), len(metrics.PairedKeys), got)
	}
	for _, k := range metrics.PairedKeys {
		if got[k].P != 1 || got[k].Diff != 0 {
			t.Errorf("identical systems, %s: %+v", k, got[k])
		}
		if !strings.Contains(stdout, k) {
			t.Errorf("stdout lacks %s:\n%s", k, stdout)
		}
	}
	if !strings.Contains(stdout, "no paraphrase") {
		t.Errorf("stdout does not say which METEOR modules ran:\n%s", stdout)
	}
	// B = the references: better everywhere; 4 studies, so the 16
	// assignments are enumerated and p = 2/16 for every metric.
	code, _, stderr = runMain("compare", "-refs", refs, "-a", bad, "-b", refs, "-out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got = readComparison(t, out)
	for _, k := range []string{"BLEU_1", "ROUGE_L", "CIDEr", "METEOR"} {
		if g := got[k]; g.Diff <= 0 || math.Abs(g.P-2.0/16) > 1e-12 {
			t.Errorf("B = references, %s: %+v, want diff > 0 and p = 0.125", k, g)
		}
	}
}

func TestCompareLabelFiles(t *testing.T) {
	dir := t.TempDir()
	refs := writeFile(t, dir, "refs.json", cmpRefs)
	bad := writeFile(t, dir, "bad.json", cmpBad)
	// Reference: study 1 Cardiomegaly (index 1) positive, the rest blank.
	// A: nothing positive; B: Cardiomegaly on study 1 -> micro F1 0 vs 1.
	blank := "[null,null,null,null,null,null,null,null,null,null,null,null,null,null]"
	card := "[null,1,null,null,null,null,null,null,null,null,null,null,null,null]"
	rl := writeFile(t, dir, "rl.json", `{"1": `+card+`, "2": `+blank+`, "3": `+blank+`, "4": `+blank+`}`)
	al := writeFile(t, dir, "al.json", `{"1": `+blank+`, "2": `+blank+`, "3": `+blank+`, "4": `+blank+`}`)
	out := filepath.Join(dir, "cmp.json")
	code, _, stderr := runMain("compare", "-refs", refs, "-a", bad, "-b", bad, "-ref-labels", rl, "-a-labels", al, "-b-labels", rl, "-out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readComparison(t, out)
	// One active study: 2 assignments, both |diff| = observed: p = 1.
	if g := got["ce_micro_f1"]; g.A != 0 || g.B != 1 || g.P != 1 {
		t.Errorf("ce_micro_f1 %+v, want a 0, b 1, p 1", g)
	}
	if g := got["ce_macro_f1"]; math.Abs(g.B-1.0/14) > 1e-12 {
		t.Errorf("ce_macro_f1 b = %g, want 1/14", g.B)
	}
	// mrg label -ce with label files: the same micro F1.
	code, stdout, stderr := runMain("label", "-ce", "-ref-labels", rl, "-hyp-labels", rl)
	if code != 0 {
		t.Fatalf("label -ce: exit %d: %s", code, stderr)
	}
	var ce metrics.CE
	if err := json.Unmarshal([]byte(stdout), &ce); err != nil {
		t.Fatal(err)
	}
	if ce.Micro.F1 != 1 || ce.PerLabel["Cardiomegaly"].TP != 1 {
		t.Errorf("label -ce, labels against themselves: %+v", ce)
	}
	// Mixed: rule labeler on the reports for the references.
	code, _, stderr = runMain("label", "-ce", "-refs", refs, "-hyp-labels", al)
	if code != 0 {
		t.Fatalf("label -ce mixed: exit %d: %s", code, stderr)
	}
}

func TestLabelFileErrors(t *testing.T) {
	dir := t.TempDir()
	refs := writeFile(t, dir, "refs.json", cmpRefs)
	cases := []struct{ name, content, want string }{
		{"short.json", `{"1": [1, 0, -1]}`, `short.json: id "1": 3 label states, want 14`},
		{"value.json", `{"1": [null,null,null,2,null,null,null,null,null,null,null,null,null,null]}`, `value.json: id "1": index 3 (Lung Lesion)`},
		{"string.json", `{"7": [null,null,null,null,null,null,null,null,null,null,null,null,null,"yes"]}`, `string.json: id "7": index 13 (No Finding)`},
		{"name.json", `{"1": {"Heart": 1}}`, `name.json: id "1": unknown observation "Heart"`},
		{"scalar.json", `{"1": 1}`, `scalar.json: id "1": want a list of 14`},
	}
	for _, c := range cases {
		f := writeFile(t, dir, c.name, c.content)
		code, _, stderr := runMain("label", "-ce", "-refs", refs, "-hyp-labels", f)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "panic") {
			t.Errorf("%s: exit %d, stderr %q, want 1 and %q", c.name, code, stderr, c.want)
		}
	}
	// The object form (mrg label's output) is accepted.
	obj := writeFile(t, dir, "obj.json", `{"1": {"Cardiomegaly": 1}, "2": {}, "3": {}, "4": {"Edema": -1}}`)
	if code, _, stderr := runMain("label", "-ce", "-refs", refs, "-hyp-labels", obj); code != 0 {
		t.Errorf("object form: exit %d: %s", code, stderr)
	}
}

// studyJSON is one entry of reports.json as `mrg eval` writes it.
func studyJSON(id, gen, ref string) string {
	b, _ := json.Marshal(map[string]any{"id": id, "generated": gen, "reference": ref,
		"generated_labels": make([]any, 14), "reference_labels": make([]any, 14)})
	return string(b)
}

func TestCompareRuns(t *testing.T) {
	dir := t.TempDir()
	mk := func(run string, ids ...string) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, studyJSON(id, "the heart is normal "+id+" .", "the heart is enlarged "+id+" ."))
		}
		if err := os.MkdirAll(filepath.Join(dir, run, "eval_test"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, filepath.Join(run, "eval_test", "reports.json"), "["+strings.Join(parts, ",")+"]")
		return filepath.Join(dir, run)
	}
	a := mk("runA", "s1", "s2", "s3")
	b := mk("runB", "s1", "s2", "s3")
	c := mk("runC", "s1", "s2x", "s3")
	out := filepath.Join(dir, "cmp.json")
	code, stdout, stderr := runMain("compare", "-a", a, "-b", b, "-out", out, "-resamples", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "3 studies") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if got := readComparison(t, out); got["BLEU_4"].P != 1 || got["ce_micro_f1"].P != 1 {
		t.Errorf("same run twice: %+v", got)
	}
	code, _, stderr = runMain("compare", "-a", a, "-b", c)
	if code != 1 || !strings.Contains(stderr, `"s2"`) || !strings.Contains(stderr, "different studies") {
		t.Errorf("mismatched studies: exit %d, %q", code, stderr)
	}
	code, _, stderr = runMain("compare", "-a", a, "-b", b, "-split", "val")
	if code != 1 || !strings.Contains(stderr, "eval_val") {
		t.Errorf("missing split: exit %d, %q", code, stderr)
	}
	code, _, stderr = runMain("compare", "-a", a)
	if code != 2 {
		t.Errorf("no -b: exit %d, %q", code, stderr)
	}
}

func TestCompareFileMismatch(t *testing.T) {
	dir := t.TempDir()
	refs := writeFile(t, dir, "refs.json", cmpRefs)
	bad := writeFile(t, dir, "bad.json", cmpBad)
	short := writeFile(t, dir, "short.json", `{"1": "x .", "2": "y .", "4": "z ."}`)
	code, _, stderr := runMain("compare", "-refs", refs, "-a", bad, "-b", short)
	if code != 1 || !strings.Contains(stderr, `"3"`) {
		t.Errorf("B lacks id 3: exit %d, %q", code, stderr)
	}
}
