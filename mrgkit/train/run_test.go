package train

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// tinySetup writes the small fixture dataset (nTrain training studies) into a
// temporary directory and returns it with the pure-Go backend.
func tinySetup(t *testing.T, nTrain int) (string, compute.Backend) {
	t.Helper()
	dir := t.TempDir()
	fixture.Write(t, dir, nTrain, 4, 4, 40)
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	return dir, be
}

const tinySet = "vocab_threshold=1;val_beam=1;checkpoint_every=3;epochs=2"

func TestTrainTinyEndToEnd(t *testing.T) {
	for _, cfg := range fixture.Backends(t) {
		t.Run(cfg, func(t *testing.T) {
			dir := t.TempDir()
			fixture.Write(t, dir, 16, 4, 4, 40)
			be, err := backend.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			rdir := filepath.Join(dir, "run")
			sum, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: rdir, Progress: &log, Backend: be, Quiet: true})
			if err != nil {
				t.Fatalf("train: %v\n%s", err, log.String())
			}
			if sum.Steps != 8 {
				t.Errorf("steps = %d, want 8 (2 epochs x 16/4)", sum.Steps)
			}
			for _, f := range []string{run.LogFile, run.VocabFile, run.RunInfoFile, run.BestDir, run.CkptDir} {
				if _, err := os.Stat(filepath.Join(rdir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			recs, err := os.ReadFile(run.Dir(rdir).Log())
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(recs, []byte(`"kind":"step"`)); n != 8 {
				t.Errorf("log has %d step lines, want 8", n)
			}
			if n := bytes.Count(recs, []byte(`"kind":"epoch"`)); n != 2 {
				t.Errorf("log has %d epoch lines, want 2", n)
			}
			// Training a finished run again trains nothing and says so (no
			// "0.000 s/step" of an empty timing).
			log.Reset()
			again, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: rdir, Progress: &log, Backend: be, Quiet: true})
			if err != nil || again.Steps != 8 || !strings.Contains(log.String(), "had finished its 2 epochs") || !strings.Contains(log.String(), "is finished (step 8, 2 epochs)") ||
				strings.Contains(log.String(), "s/step") || strings.Contains(log.String(), "resuming") || strings.Contains(log.String(), "training "+rdir) {
				t.Errorf("rerun of a finished run: steps %v, err %v, output:\n%s", again, err, log.String())
			}
			res, err := run.Evaluate(rdir, run.EvalOptions{Split: "test", Decode: mrgmodel.DefaultDecodeOptions(), Backend: be})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Studies) != 4 {
				t.Errorf("evaluated %d test studies, want 4", len(res.Studies))
			}
			for _, f := range []string{run.ReportsFile, run.MetricsFile} {
				if _, err := os.Stat(filepath.Join(run.Dir(rdir).Eval("test", eval.PromptsPredicted), f)); err != nil {
					t.Errorf("missing eval output %s", f)
				}
			}
			img := filepath.Join(dir, "images", "s000", "0.png")
			g, err := run.GenerateStudy(rdir, []string{img}, mrgmodel.DefaultDecodeOptions(), be, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Labels) != 14 {
				t.Errorf("GenerateStudy gave %d labels, want 14", len(g.Labels))
			}
		})
	}
}

// TestResumeIsBitIdentical kills a run after 5 steps (mid-epoch), resumes
// it, and compares every variable with an uninterrupted run.
func TestResumeIsBitIdentical(t *testing.T) {
	dir, be := tinySetup(t, 16)
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
	a, _, err := run.LoadCheckpoint(run.Dir(full).Ckpt())
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := run.LoadCheckpoint(run.Dir(part).Ckpt())
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
	// The README promises bit-identical resume: the checkpoint files too.
	for _, d := range []string{run.CkptDir, run.BestDir} {
		if !bytes.Equal(checkpointBin(t, filepath.Join(full, d)), checkpointBin(t, filepath.Join(part, d))) {
			t.Errorf("%s/*.bin differs byte-wise after a resume", d)
		}
	}
	la, _ := os.ReadFile(run.Dir(full).Log())
	lb, _ := os.ReadFile(run.Dir(part).Log())
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

func TestTrainBadInput(t *testing.T) {
	dir, be := tinySetup(t, 8)
	base := Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Backend: be, Quiet: true}
	tests := []struct {
		name string
		mod  func(o *Options)
		want string
	}{
		{"unknown preset", func(o *Options) { o.Preset = "huge" }, `unknown preset "huge"`},
		{"unknown parameter", func(o *Options) { o.Set = "learning_rat=1" }, "learning_rat"},
		{"bad value", func(o *Options) { o.Set = "d_model=30;num_heads=4" }, "num_heads"},
		{"no annotation", func(o *Options) { o.DataDir = t.TempDir() }, "no annotation.json"},
		{"unknown dataset", func(o *Options) { o.Dataset = "chexpert" }, "chexpert"},
		{"NaN loss", func(o *Options) { o.Set = tinySet + ";cls_weight=1e39" }, "loss is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			o.Out = filepath.Join(t.TempDir(), "run")
			tc.mod(&o)
			_, err := Train(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCorruptCheckpoint(t *testing.T) {
	dir, be := tinySetup(t, 8)
	rdir := filepath.Join(dir, "run")
	if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: rdir, Backend: be, Quiet: true, MaxSteps: 3}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(rdir, run.CkptDir, "*.bin"))
	if len(files) == 0 {
		t.Fatal("no checkpoint binary written")
	}
	if err := os.WriteFile(files[0], []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Train(Options{DataDir: dir, Dataset: "toycxr", Out: rdir, Backend: be, Quiet: true})
	if err == nil || !strings.Contains(err.Error(), "checkpoint") {
		t.Fatalf("resume from a corrupted checkpoint: %v", err)
	}
	if _, _, _, err := run.Load(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "not a trained run") {
		t.Errorf("LoadRun(missing) = %v", err)
	}
}

// TestInitEncoder starts a run's encoder from another run's checkpoint and
// checks that the first graph uses those weights (a shape mismatch fails).
func TestInitEncoder(t *testing.T) {
	dir, be := tinySetup(t, 8)
	a := filepath.Join(dir, "a")
	if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: a, Backend: be, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := Configure(store, "tiny", ""); err != nil {
		t.Fatal(err)
	}
	n, err := InitEncoder(store, run.Dir(a).Best())
	if err != nil || n < 5 {
		t.Fatalf("InitEncoder: %d variables, %v", n, err)
	}
	src, _, err := run.LoadCheckpoint(run.Dir(a).Best())
	if err != nil {
		t.Fatal(err)
	}
	for v := range store.IterVariables() {
		if !tensorsEqual(v.MustValue(), src.GetVariable(v.Path()).MustValue()) {
			t.Errorf("%s not copied", v.Path())
		}
	}
	// Wider encoder: the copied weights do not fit; training must say so.
	_, err = Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet + ";enc_width=16", Out: filepath.Join(dir, "b"),
		Backend: be, Quiet: true, InitEncoder: run.Dir(a).Best()})
	if err == nil {
		t.Error("an encoder checkpoint of the wrong width was accepted")
	}
	if _, err := InitEncoder(store, filepath.Join(dir, "nothing")); err == nil {
		t.Error("missing weights directory accepted")
	}
}

func TestSelectionScore(t *testing.T) {
	m := map[string]float64{"BLEU_4": 0.25, "ce_micro_f1": 0.5}
	for _, tc := range []struct {
		expr string
		want float64
		ok   bool
	}{{"BLEU_4", 0.25, true}, {"BLEU_4+ce_micro_f1", 0.75, true}, {"BLEU_4 + ce_micro_f1", 0.75, true}, {"CIDEr", 0, false}, {"BLEU_4+", 0, false}} {
		got, err := SelectionScore(m, tc.expr)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("SelectionScore(%q) = %g, %v; want %g (ok=%v)", tc.expr, got, err, tc.want, tc.ok)
		}
	}
}

// TestGenerateRealIUStudies writes reports for the two real IU X-Ray studies
// (512x512 RGB PNGs) with a model trained on the small fixture.
func TestGenerateRealIUStudies(t *testing.T) {
	shared := fixture.Shared(t, "data/iu_xray/images/CXR1900_IM-0584/0.png")
	dir, be := tinySetup(t, 8)
	rdir := filepath.Join(dir, "run")
	if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: "vocab_threshold=1;epochs=1", Out: rdir, Backend: be, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	for _, study := range []string{"CXR1900_IM-0584", "CXR7_IM-2263"} {
		imgs := []string{filepath.Join(shared, "data/iu_xray/images", study, "0.png"), filepath.Join(shared, "data/iu_xray/images", study, "1.png")}
		res, err := run.GenerateStudy(rdir, imgs, mrgmodel.DefaultDecodeOptions(), be, nil)
		if err != nil {
			t.Fatalf("%s: %v", study, err)
		}
		if strings.TrimSpace(res.Report) == "" || len(res.Labels) != 14 {
			t.Errorf("%s: report %q, %d labels", study, res.Report, len(res.Labels))
		}
	}
	// A file that is not an image is refused with its name.
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run.GenerateStudy(rdir, []string{bad}, mrgmodel.DefaultDecodeOptions(), be, nil); err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Errorf("corrupt image: %v", err)
	}
}

// TestCooccurrenceEdges: with graph_cooccur the edge weights come from the
// training labels and are saved with the run.
func TestCooccurrenceEdges(t *testing.T) {
	dir, be := tinySetup(t, 8)
	rdir := filepath.Join(dir, "run")
	if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: "vocab_threshold=1;epochs=1;graph_cooccur=true", Out: rdir, Backend: be, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	store, _, _, err := run.Load(rdir)
	if err != nil {
		t.Fatal(err)
	}
	v := store.GetVariable("/" + mrgmodel.ScopeName + "/knowledge/edge_weights")
	if v == nil {
		t.Fatal("no edge weights in the checkpoint")
	}
	w := tensors.MustCopyFlatData[float32](v.MustValue())
	below := 0
	for _, x := range w {
		if x < 1 {
			below++
		}
	}
	if below == 0 {
		t.Error("edge weights are all 1: co-occurrence was not applied")
	}
}

func TestJoinSets(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"", "a=1"}, "a=1"}, {[]string{"a=1", "", "b=2;c=3"}, "a=1;b=2;c=3"}} {
		if got := JoinSets(tc.in...); got != tc.want {
			t.Errorf("JoinSets(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBestCheckpointIsWhatWasValidated: evaluating the validation split
// with the best checkpoint (its weights and its logit-adjustment base
// probabilities) reproduces the validation figures logged for the epoch
// that selected it, for each logit-adjustment mode.
func TestBestCheckpointIsWhatWasValidated(t *testing.T) {
	for _, mode := range []string{"f1", "paper"} {
		t.Run(mode, func(t *testing.T) {
			dir, be := tinySetup(t, 16)
			rdir := filepath.Join(dir, "run")
			if _, err := Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet + ";epochs=3;logit_adjust=" + mode,
				Out: rdir, Backend: be, Quiet: true}); err != nil {
				t.Fatal(err)
			}
			store, _, _, err := run.Load(rdir)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.ReadFile(filepath.Join(rdir, run.BestDir, run.StateFile))
			if err != nil {
				t.Fatal(err)
			}
			var state run.State
			if err := json.Unmarshal(st, &state); err != nil {
				t.Fatal(err)
			}
			var logged map[string]any
			b, _ := os.ReadFile(run.Dir(rdir).Log())
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatal(err)
				}
				if rec["kind"] == "epoch" && int(rec["epoch"].(float64)) == state.BestEpoch {
					logged = rec
				}
			}
			if logged == nil {
				t.Fatalf("no log record for the best epoch %d", state.BestEpoch)
			}
			res, err := run.Evaluate(rdir, run.EvalOptions{Split: "val", Decode: ValidationDecode(store), Backend: be, Out: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			// (The fixture has no ground-truth labels: no diag_* figures.)
			for _, k := range []string{"BLEU_4", "ce_micro_f1", "faith_micro_f1", "faith_micro_precision", "faith_micro_recall"} {
				lv, ok := logged[k].(float64)
				if !ok {
					t.Fatalf("log record has no %s: %v", k, logged)
				}
				if math.Abs(lv-res.Flat[k]) > 1e-9 {
					t.Errorf("%s: validation logged %g at epoch %d, the best checkpoint gives %g", k, lv, state.BestEpoch, res.Flat[k])
				}
			}
		})
	}
}
