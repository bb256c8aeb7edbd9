package notebook

import (
	"strings"
	"testing"
)

const testNotebook = `{
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
  {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a <b> & é\n"]}], "source": ["%%\n", "fmt.Println(1)"]},
  {"cell_type": "code", "execution_count": 2, "metadata": {"tags": ["x"]}, "outputs": [{"output_type": "display_data", "data": {"text/plain": ["2"]}, "metadata": {}}], "source": "fmt.Println(2)"}
 ],
 "metadata": {"kernelspec": {"name": "gonb"}},
 "nbformat": 4,
 "nbformat_minor": 4
}`

func TestSourceHash(t *testing.T) {
	// sha256 of "abc" (FIPS 180-2 test vector).
	if got := SourceHash("abc"); got != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("SourceHash(abc) = %s", got)
	}
}

func TestStampThenCheck(t *testing.T) {
	stamped, err := Stamp("t.ipynb", []byte(testNotebook), map[string]any{"smoke": false})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"source_sha256": "` + SourceHash("%%\nfmt.Println(1)") + `"`,
		`"source_sha256": "` + SourceHash("fmt.Println(2)") + `"`,
		`"a <b> & é\n"`, // written like Jupyter: no HTML escapes, UTF-8
		`"tags": [`,     // other metadata kept
	} {
		if !strings.Contains(string(stamped), want) {
			t.Errorf("stamped notebook lacks %s:\n%s", want, stamped)
		}
	}
	if !strings.HasSuffix(string(stamped), "}\n") || !strings.HasPrefix(string(stamped), "{\n \"cells\": [\n  {\n") {
		t.Errorf("not written like Jupyter (one-space indent, final newline):\n%.80s", stamped)
	}
	if problems, err := CheckOutputs("t.ipynb", stamped); err != nil || len(problems) != 0 {
		t.Errorf("fresh stamp: problems %v, %v", problems, err)
	}

	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"edited cell", `fmt.Println(2)`, `fmt.Println(3)`, "cell 2 (\"fmt.Println(3)\") changed since its outputs were made"},
		{"no outputs", `"outputs": [{"output_type": "stream", "name": "stdout", "text": ["a <b> & é\n"]}]`, `"outputs": []`, "cell 1 (\"%%\") has no outputs"},
		{"not executed", `"execution_count": 2,`, `"execution_count": null,`, "cell 2 (\"fmt.Println(2)\") was not executed"},
		{"error output", `{"output_type": "display_data", "data": {"text/plain": ["2"]}, "metadata": {}}`,
			`{"output_type": "error", "ename": "ERROR", "evalue": "exit status 1", "traceback": []}`, "has an error output: ERROR: exit status 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nb := strings.Replace(testNotebook, tc.old, tc.new, 1)
			if nb == testNotebook {
				t.Fatalf("test case does not change the notebook")
			}
			newS, err := Stamp("t.ipynb", []byte(nb), map[string]any{"smoke": false})
			if err != nil {
				t.Fatal(err)
			}
			changed := string(newS)
			if tc.name == "edited cell" { // the old hash: the source was edited after stamping
				changed = strings.Replace(changed, SourceHash("fmt.Println(3)"), SourceHash("fmt.Println(2)"), 1)
			}
			problems, err := CheckOutputs("t.ipynb", []byte(changed))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Errorf("problems %q, want one saying %q", problems, tc.want)
			}
		})
	}

	problems, _ := CheckOutputs("t.ipynb", []byte(testNotebook))
	if len(problems) != 3 || !strings.Contains(problems[0], "make notebooks-outputs") || !strings.Contains(problems[1], "no source hash") {
		t.Errorf("unstamped notebook: %q", problems)
	}
	smoke, _ := Stamp("t.ipynb", []byte(testNotebook), map[string]any{"smoke": true})
	if problems, _ := CheckOutputs("t.ipynb", smoke); len(problems) != 1 || !strings.Contains(problems[0], "smoke mode") {
		t.Errorf("smoke outputs: %q", problems)
	}
	if _, err := CheckOutputs("bad.ipynb", []byte(`{"cells": 3}`)); err == nil || !strings.Contains(err.Error(), "bad.ipynb") {
		t.Errorf("malformed notebook: %v", err)
	}
}
