package demo

import (
	"bytes"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/run"
)

func TestNotebookSet(t *testing.T) {
	for _, c := range []struct {
		epochs, seed int
		extra        []string
		want         string
	}{
		{0, 0, nil, ""},
		{1, 0, nil, "epochs=1"},
		{2, 5, nil, "epochs=2;seed=5"},
		{0, 7, nil, "seed=7"},
		{-1, 0, []string{"kd_adaptive=true"}, "kd_adaptive=true"},
		{2, 0, []string{"", "kd_adaptive=false"}, "epochs=2;kd_adaptive=false"},
	} {
		if got := NotebookSet(c.epochs, c.seed, c.extra...); got != c.want {
			t.Errorf("NotebookSet(%d, %d, %q) = %q, want %q", c.epochs, c.seed, c.extra, got, c.want)
		}
	}
}

func TestNotebookOptions(t *testing.T) {
	var progress bytes.Buffer
	seen := 0
	tr := Training{DataDir: "data", Teacher: "teacher", Out: "run", Preset: "tiny", Set: "epochs=1", Progress: &progress,
		Observe: func(run.Event) { seen++ }}
	o := TeacherOptions(tr)
	if o.DataDir != "data" || o.Dataset != "toycxr" || o.Preset != "tiny" || o.Set != "epochs=1" || o.Out != "run" || o.Progress != &progress || !o.Quiet {
		t.Errorf("teacher options %+v", o)
	}
	s := StudentOptions(tr)
	if s.Teacher != "teacher" || s.DataDir != "" || s.Preset != "tiny" || s.Set != "epochs=1" || s.Out != "run" || s.Progress != &progress || !s.Quiet {
		t.Errorf("student options %+v", s)
	}
	o.Observe(run.Event{})
	s.Observe(run.Event{})
	if seen != 2 {
		t.Errorf("the observer saw %d events through the options, want 2", seen)
	}
}
