package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

const tinySet = "vocab_threshold=1;val_beam=1;checkpoint_every=3;epochs=2"

func TestTrainTinyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	fixture.Write(t, dir, 16, 4, 4, 40)
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	run := filepath.Join(dir, "run")
	sum, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: run, Progress: &log, Backend: be, Quiet: true})
	if err != nil {
		t.Fatalf("train: %v\n%s", err, log.String())
	}
	t.Log(log.String())
	if sum.Steps != 8 {
		t.Errorf("steps = %d, want 8 (2 epochs x 16/4)", sum.Steps)
	}
	for _, f := range []string{LogFile, VocabFile, RunInfoFile, BestDir, CkptDir} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if _, _, _, err := LoadRun(run); err != nil {
		t.Errorf("LoadRun: %v", err)
	}
}

// TestResumeIsBitIdentical kills a run after 5 steps (mid-epoch), resumes
// it, and compares every variable with an uninterrupted run.
func TestResumeIsBitIdentical(t *testing.T) {
	dir := t.TempDir()
	fixture.Write(t, dir, 16, 4, 4, 40)
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	opts := func(out string, maxSteps int) Options {
		return Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: out, Backend: be, Quiet: true, MaxSteps: maxSteps}
	}
	full := filepath.Join(dir, "full")
	if _, err := Train(opts(full, 0)); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(dir, "part")
	if s, err := Train(opts(part, 5)); err != nil || !s.Stopped {
		t.Fatalf("interrupted run: %v (stopped=%v)", err, s != nil && s.Stopped)
	}
	if _, err := Train(opts(part, 0)); err != nil {
		t.Fatalf("resume: %v", err)
	}
	a, _, err := LoadCheckpoint(filepath.Join(full, CkptDir))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := LoadCheckpoint(filepath.Join(part, CkptDir))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for v := range a.IterVariables() {
		w := b.GetVariable(v.Path())
		if w == nil {
			t.Errorf("variable %s missing after resume", v.Path())
			continue
		}
		if !tensorsEqual(v.MustValue(), w.MustValue()) {
			t.Errorf("variable %s differs after resume", v.Path())
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d variables compared", n)
	}
	la, _ := os.ReadFile(filepath.Join(full, LogFile))
	lb, _ := os.ReadFile(filepath.Join(part, LogFile))
	if !bytes.Equal(stripTimes(la), stripTimes(lb)) {
		t.Errorf("logs differ:\n%s\n---\n%s", la, lb)
	}
}

func tensorsEqual(a, b *tensors.Tensor) bool {
	if !a.Shape().Equal(b.Shape()) {
		return false
	}
	var ba, bb []byte
	if err := a.ConstBytes(func(x []byte) { ba = append(ba, x...) }); err != nil {
		panic(err)
	}
	if err := b.ConstBytes(func(x []byte) { bb = append(bb, x...) }); err != nil {
		panic(err)
	}
	return len(ba) > 0 && bytes.Equal(ba, bb)
}

var _ = model.NewStore

// stripTimes removes the wall-clock fields of log lines.
func stripTimes(b []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return b
		}
		delete(m, "sec_per_step")
		delete(m, "epoch_seconds")
		l, _ := json.Marshal(m)
		out = append(append(out, l...), '\n')
	}
	return out
}
