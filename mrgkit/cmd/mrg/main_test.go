package main

import (
	"bytes"
	"strings"
	"testing"
)

// runMain runs mrg in-process and returns its exit code, stdout and stderr.
func runMain(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// TestBadFlagsExitTwo: on every verb, an unknown flag or a flag value that
// does not parse is a usage error: exit 2 and one line `mrg VERB: ...`
// naming the flag (no flag list); -h prints the flags and exits 0.
func TestBadFlagsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"train", "-max-steps", "x"}, `invalid value "x" for flag -max-steps`},
		{[]string{"train", "-max-image-mb", "0"}, `invalid value "0" for flag -max-image-mb`},
		{[]string{"train", "-force=maybe"}, `invalid boolean value "maybe" for -force`},
		{[]string{"eval", "-beam", "x"}, `invalid value "x" for flag -beam`},
		{[]string{"eval", "-repetition-penalty", "high"}, `invalid value "high" for flag -repetition-penalty`},
		{[]string{"generate", "-max-image-pixels", "-1"}, `invalid value "-1" for flag -max-image-pixels`},
		{[]string{"distill", "-rounds", "two"}, `invalid value "two" for flag -rounds`},
		{[]string{"ablate", "-seeds", "x"}, `invalid value "x" for flag -seeds`},
		{[]string{"demo", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"score", "-meteor-wordnet=maybe"}, `invalid boolean value "maybe" for -meteor-wordnet`},
		{[]string{"compare", "-resamples", "1e3"}, `invalid value "1e3" for flag -resamples`},
		{[]string{"label", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"plot", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"data", "synth", "-n", "x"}, `invalid value "x" for flag -n`},
		{[]string{"data", "check", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"weights", "import", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"score", "extra"}, `unexpected argument "extra"`},
		{[]string{"score"}, "one of -case FILE or -refs FILE -hyps FILE is required"},
	} {
		code, stdout, stderr := runMain(tc.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "mrg "+tc.args[0]+": ") || !strings.Contains(lines[0], tc.want) || stdout != "" {
			t.Errorf("mrg %s: exit %d, stderr %q, want exit 2 and one line `mrg %s: ...%s...`", strings.Join(tc.args, " "), code, stderr, tc.args[0], tc.want)
		}
	}
	for _, args := range [][]string{{"score", "-h"}, {"train", "-h"}, {"data", "synth", "-h"}} {
		code, _, stderr := runMain(args...)
		if code != 0 || !strings.Contains(stderr, "-") || strings.Contains(stderr, "mrg "+args[0]+": ") {
			t.Errorf("mrg %s: exit %d, stderr %q, want 0 and the flags", strings.Join(args, " "), code, stderr)
		}
	}
}
