package notebook

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

func TestRunDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv(RunsEnv, tmp)
	for _, c := range []struct{ smoke, want string }{{"", "teacher"}, {"1", "teacher_smoke"}} {
		t.Setenv(SmokeEnv, c.smoke)
		if got, err := RunDir("teacher"); err != nil || got != filepath.Join(tmp, c.want) {
			t.Errorf("smoke=%q: RunDir = %q, %v; want %q", c.smoke, got, err, filepath.Join(tmp, c.want))
		}
	}
}

func TestShowReportPairOutsideNotebook(t *testing.T) {
	var out bytes.Buffer
	Out = &out
	defer func() { Out = os.Stdout }()
	var gen chexpert.Labels
	gen[chexpert.Index("Cardiomegaly")] = chexpert.Positive
	gen[chexpert.Index("Edema")] = chexpert.Negative
	ShowReportPair("s1", "the heart is enlarged .", "heart size normal .", &gen, &chexpert.Labels{})
	want := "s1\n  generated: the heart is enlarged .\n    [positive: Cardiomegaly]\n  reference: heart size normal .\n    [none]\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if Positives(nil) != "no labels" || !strings.HasPrefix(Positives(&gen), "positive:") {
		t.Error("Positives")
	}
}
