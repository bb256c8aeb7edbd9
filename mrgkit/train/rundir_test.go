package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// readTree returns every file under dir with its bytes.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, dir)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files, then %d", what, len(a), len(b))
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			t.Errorf("%s: %s changed or lost", what, k)
		}
	}
}

// TestOutRefusesToClobber: a run pruned to best/, a directory of the user's
// and another kind of run are refused without -force and left intact; -force
// replaces the kit's files only. Also checks run.json's absolute paths.
func TestOutRefusesToClobber(t *testing.T) {
	dir, be := tinySetup(t, 8)
	t.Chdir(filepath.Dir(dir))
	rel := filepath.Base(dir) // a relative -data, as typed in a shell
	opts := func(out string) Options {
		return Options{DataDir: rel, Dataset: "toycxr", Preset: "tiny", Set: "vocab_threshold=1;epochs=1", Out: out, Backend: be, Quiet: true}
	}
	rdir := filepath.Join(dir, "run")
	if _, err := Train(opts(rdir)); err != nil {
		t.Fatal(err)
	}
	var info run.Info
	b, _ := os.ReadFile(run.Dir(rdir).RunJSON())
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(info.DataDir) || !filepath.IsAbs(info.ImageRoot) {
		t.Errorf("run.json records relative paths: data_dir %q image_root %q", info.DataDir, info.ImageRoot)
	}
	for _, f := range []string{run.RunInfoFile, run.VocabFile} {
		if st, _ := os.Stat(filepath.Join(rdir, f)); st.Mode().Perm()&0o044 == 0 {
			t.Errorf("%s has mode %v: not readable by group and others", f, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(run.Dir(rdir).Best()); st.Mode().Perm()&0o055 == 0 {
		t.Errorf("%s/ has mode %v", run.BestDir, st.Mode().Perm())
	}

	// Pruned to best/: refused, nothing touched.
	if err := os.RemoveAll(run.Dir(rdir).Ckpt()); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, rdir)
	_, err := Train(opts(rdir))
	if err == nil || !strings.Contains(err.Error(), "holds a trained run") || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("train into a pruned run: %v", err)
	}
	after := readTree(t, rdir)
	delete(after, "/"+run.RunLockFile)
	delete(before, "/"+run.RunLockFile)
	sameTree(t, "pruned run", before, after)

	// Another kind of run with a checkpoint: refused even with -force.
	teacher := filepath.Join(dir, "teacher")
	o := opts(teacher)
	o.MaxSteps = 1
	if _, err := Train(o); err != nil {
		t.Fatal(err)
	}
	o = opts(teacher)
	o.Recipe, o.Force = studentKind{}, true
	if _, err := Train(o); err == nil || !strings.Contains(err.Error(), "holds a teacher run") {
		t.Errorf("student into a teacher run: %v", err)
	}

	// A user's file in best/ is refused even with -force.
	user := filepath.Join(rdir, run.BestDir, "NOTES.txt")
	if err := os.WriteFile(user, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	o = opts(rdir)
	o.Force = true
	if _, err := Train(o); err == nil || !strings.Contains(err.Error(), "NOTES.txt was not written by mrgkit") {
		t.Errorf("-force over a user's file in best/: %v", err)
	}
	if err := os.Remove(user); err != nil {
		t.Fatal(err)
	}

	// A directory of the user's: refused; with -force the run starts and the
	// user's files stay.
	mine := filepath.Join(dir, "mine")
	_ = os.MkdirAll(filepath.Join(mine, "sub"), 0o755)
	_ = os.WriteFile(filepath.Join(mine, "paper.tex"), []byte("draft"), 0o644)
	_ = os.WriteFile(filepath.Join(mine, "sub", "x"), []byte("x"), 0o644)
	if _, err := Train(opts(mine)); err == nil || !strings.Contains(err.Error(), "is not empty (paper.tex, sub)") {
		t.Errorf("train into a user's directory: %v", err)
	}
	o = opts(mine)
	o.Force, o.MaxSteps = true, 1
	if _, err := Train(o); err != nil {
		t.Fatalf("-force into a user's directory: %v", err)
	}
	for f, want := range map[string]string{"paper.tex": "draft", "sub/x": "x"} {
		if b, err := os.ReadFile(filepath.Join(mine, f)); err != nil || string(b) != want {
			t.Errorf("-force lost the user's %s: %q %v", f, b, err)
		}
	}
}

// TestRunLock: a second trainer is refused with the holder's process id.
func TestRunLock(t *testing.T) {
	dir, be := tinySetup(t, 8)
	rdir := filepath.Join(dir, "run")
	if err := os.MkdirAll(rdir, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := run.LockRun(rdir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Train(Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: tinySet, Out: rdir, Backend: be, Quiet: true})
	want := fmt.Sprintf("is in use by process %d", os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("second trainer: %v, want %q", err, want)
	}
	l.Unlock()
	l2, err := run.LockRun(rdir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
}

func smallStore(t *testing.T, order []string, value float32) *model.Store {
	t.Helper()
	s := model.NewStore()
	s.RootScope().SetParam(ParamLR, 0.5)
	for _, name := range order {
		scope, key := model.SplitPath(name)
		if name == "/global_step" {
			if _, err := s.RootScope().CreateVariable("global_step", tensors.FromValue(int64(7))); err != nil {
				t.Fatal(err)
			}
			continue
		}
		v := value + float32(len(name)) + float32(name[len(name)-1]) // differs per variable
		if _, err := s.Scope(scope).CreateVariable(key, tensors.FromFlatDataAndDimensions([]float32{v, v + 1, v + 2}, 3)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func checkpointBin(t *testing.T, dir string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(files) != 1 {
		t.Fatalf("%s: %d .bin files", dir, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckpointBytesDeterministic: the same variables created in another
// order, or loaded and saved again, give the same .bin bytes.
func TestCheckpointBytesDeterministic(t *testing.T) {
	dir := t.TempDir()
	// A real store has the optimiser's global step; GoMLX adds one to a
	// store without it.
	names := []string{"/m/b/w", "/m/a/w", "/global_step", "/m/c", "/z", "/a"}
	rev := []string{"/a", "/z", "/m/c", "/global_step", "/m/a/w", "/m/b/w"}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	if err := run.SaveCheckpoint(smallStore(t, names, 1), a, &run.State{Step: 1}); err != nil {
		t.Fatal(err)
	}
	if err := run.SaveCheckpoint(smallStore(t, rev, 1), b, &run.State{Step: 1}); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := run.LoadCheckpoint(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SaveCheckpoint(loaded, c, &run.State{Step: 1}); err != nil {
		t.Fatal(err)
	}
	ba, bb, bc := checkpointBin(t, a), checkpointBin(t, b), checkpointBin(t, c)
	if len(ba) < 5*3*4 {
		t.Fatalf(".bin has %d bytes, want >= 60", len(ba))
	}
	if !bytes.Equal(ba, bb) || !bytes.Equal(ba, bc) {
		t.Errorf("checkpoint bytes depend on variable order:\n%x\n%x\n%x", ba, bb, bc)
	}
	if st, _ := os.Stat(a); st.Mode().Perm() != 0o755 {
		t.Errorf("checkpoint directory mode %v, want 0755", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(a, run.StateFile)); st.Mode().Perm()&0o044 == 0 {
		t.Errorf("state.json mode %v", st.Mode().Perm())
	}
}

// TestReadersNeverSeeHalfRenamedCheckpoint loads a checkpoint while another
// goroutine replaces it as fast as it can.
func TestReadersNeverSeeHalfRenamedCheckpoint(t *testing.T) {
	rdir := t.TempDir()
	ck := run.Dir(rdir).Ckpt()
	if err := run.SaveCheckpoint(smallStore(t, []string{"/a", "/b"}, 0), ck, &run.State{Step: 0}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := run.SaveCheckpoint(smallStore(t, []string{"/a", "/b"}, float32(i)), ck, &run.State{Step: i}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	deadline := time.Now().Add(1500 * time.Millisecond)
	n := 0
	for ; time.Now().Before(deadline); n++ {
		if _, _, err := run.LoadCheckpoint(ck); err != nil {
			t.Errorf("load %d while saving: %v", n, err)
			break
		}
	}
	close(stop)
	wg.Wait()
	if n < 20 {
		t.Errorf("only %d loads", n)
	}
}

// TestPrepareRunDirCleansLeftovers: temporary directories of killed
// checkpoint writes and a lone ckpt.old are tidied.
func TestPrepareRunDirCleansLeftovers(t *testing.T) {
	rdir := t.TempDir()
	for _, d := range []string{".ckpt.tmp-123", ".best.tmp-9", ".run.json.tmp77"} {
		if err := os.MkdirAll(filepath.Join(rdir, d, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.SaveCheckpoint(smallStore(t, []string{"/a"}, 0), run.Dir(rdir).Ckpt(), &run.State{Step: 4}); err != nil {
		t.Fatal(err)
	}
	// A crash between the two renames leaves ckpt.old alone.
	if err := os.Rename(run.Dir(rdir).Ckpt(), filepath.Join(rdir, run.CkptDir+".old")); err != nil {
		t.Fatal(err)
	}
	rd, err := run.Prepare(rdir, "teacher", false)
	if err != nil {
		t.Fatal(err)
	}
	if !rd.Resume {
		t.Error("the checkpoint in ckpt.old is not resumed")
	}
	entries, _ := os.ReadDir(rdir)
	var names []string
	for _, e := range entries {
		if e.Name() != run.CkptLockFile {
			names = append(names, e.Name())
		}
	}
	if got := strings.Join(names, ","); got != run.CkptDir {
		t.Errorf("run directory holds %s, want only %s", got, run.CkptDir)
	}
}

func TestResolveRunPath(t *testing.T) {
	root := t.TempDir()
	t.Chdir(t.TempDir()) // elsewhere
	_ = os.MkdirAll(filepath.Join(root, "data", "images"), 0o755)
	rdir := filepath.Join(root, "runs", "demo")
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"/abs/x", "/abs/x"},
		{"data", filepath.Join(root, "data")},
		{"data/images", filepath.Join(root, "data", "images")},
		{"nowhere", "nowhere"},
	} {
		if got := run.ResolveRunPath(rdir, tc.in); got != tc.want {
			t.Errorf("ResolveRunPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestResumeSettings: resumable keys are applied (and recorded), others
// refused by name, as are another preset and other data.
func TestResumeSettings(t *testing.T) {
	dir, be := tinySetup(t, 8)
	rdir := filepath.Join(dir, "run")
	base := Options{DataDir: dir, Dataset: "iu_xray", Preset: "tiny", Set: tinySet + ";warmup_steps=0", Out: rdir, Backend: be, Quiet: true, MaxSteps: 1}
	if _, err := Train(base); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	for _, tc := range []struct {
		name string
		mod  func(o *Options)
		want string
	}{
		{"model key", func(o *Options) { o.Set = "d_model=64;lr=1e-4" }, "cannot change d_model on resume"},
		{"preset", func(o *Options) { o.Preset = "cpu" }, "-preset cpu differs from the run's preset tiny"},
		{"data", func(o *Options) { o.DataDir = other }, "differs from the run's data"},
		{"dataset", func(o *Options) { o.Dataset = "toycxr" }, "-dataset toycxr differs"},
		{"bad value", func(o *Options) { o.Set = "lr=-1" }, "learning_rate=-1: must be in (0, 10]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			o.Set, o.MaxSteps = "", 2
			tc.mod(&o)
			if _, err := Train(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Same values as stored (what distill repeats) and a new lr; no
	// -dataset: the run's own (iu_xray), not toycxr.
	o := base
	o.Set, o.MaxSteps, o.Dataset = tinySet+";lr=0.0002", 2, ""
	if _, err := Train(o); err != nil {
		t.Fatalf("resume with lr: %v", err)
	}
	b, _ := os.ReadFile(run.Dir(rdir).Log())
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	var last map[string]any
	_ = json.Unmarshal(lines[len(lines)-1], &last)
	if lr, _ := last["lr"].(float64); lr > 0.0002*1.0001 || lr < 0.0001 {
		t.Errorf("step 2 ran with lr %v, want about 0.0002 (the -set on resume)", last["lr"])
	}
	var info run.Info
	b, _ = os.ReadFile(run.Dir(rdir).RunJSON())
	_ = json.Unmarshal(b, &info)
	if !strings.HasSuffix(info.Set, ";learning_rate=0.0002") || !strings.HasPrefix(info.Set, tinySet) {
		t.Errorf("run.json set %q, want the original settings then learning_rate=0.0002 (lr's key)", info.Set)
	}
	if info.Dataset != "iu_xray" {
		t.Errorf("run.json dataset %q after a resume without -dataset, want iu_xray", info.Dataset)
	}
}

func TestSettingsCheckedBeforeTraining(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"select_metric=FOO", `"FOO" is not a validation metric`},
		{"select_metric=BLEU_4+METEOR", `"METEOR" is not a validation metric`},
		{"checkpoint_every=-1", "checkpoint_every=-1: must be >= 0"},
		{"val_limit=-1", "val_limit=-1: must be >= 0"},
		{"lr=1e30", "learning_rate=1e+30: must be in (0, 10]"},
		{"min_lr=0.1", "min_lr=0.1: must be in [0, learning_rate=0.001]"},
		{"lr=NaN", "-set lr=NaN: learning_rate must be a finite number"},
		{"learning_rate=+Inf", "-set learning_rate=+Inf: learning_rate must be a finite number"},
		{"lr=1e400", "-set lr=1e400: learning_rate must be a finite number"},
		{"epochs=2.5", "-set epochs=2.5: epochs must be a whole number"},
	} {
		if err := Configure(model.NewStore(), "tiny", tc.set); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-set %s: %v, want %q", tc.set, err, tc.want)
		}
	}
	if err := Configure(model.NewStore(), "tiny", "select_metric=BLEU_4+ce_micro_f1;checkpoint_every=0;val_limit=0;lr=0.5"); err != nil {
		t.Errorf("valid settings refused: %v", err)
	}
}

func TestNaNMessageNamesOnlyRealCheckpoints(t *testing.T) {
	if err := nanError(math.Inf(1), &run.State{Step: 0, Epoch: 1}, filepath.Join(t.TempDir(), run.CkptDir), 1); err == nil ||
		strings.Contains(err.Error(), "last good checkpoint") || !strings.Contains(err.Error(), "before its first checkpoint") {
		t.Errorf("NaN at step 1: %v", err)
	}
	ck := filepath.Join(t.TempDir(), run.CkptDir)
	if err := run.SaveCheckpoint(smallStore(t, []string{"/a"}, 0), ck, &run.State{Step: 6}); err != nil {
		t.Fatal(err)
	}
	if err := nanError(math.Inf(1), &run.State{Step: 7, Epoch: 2}, ck, 1); err == nil || !strings.Contains(err.Error(), "the last good checkpoint is "+ck+" (step 6)") {
		t.Errorf("NaN at step 8: %v", err)
	}
}

// TestOlderKeyNamesAreRead: a checkpoint of a run made before the GoMLX
// names (lr, weight_decay, adam_eps) loads with its values under the keys.
func TestOlderKeyNamesAreRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), run.CkptDir)
	s := model.NewStore()
	root := s.RootScope()
	root.SetParam("lr", 0.25)
	root.SetParam("weight_decay", 0.5)
	root.SetParam("adam_eps", 1e-6)
	root.SetParam(ParamEpochs, 3)
	if _, err := root.CreateVariable("w", tensors.FromValue([]float32{1, 2})); err != nil {
		t.Fatal(err)
	}
	if err := run.SaveCheckpoint(s, dir, &run.State{Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	got, _, err := run.LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := got.RootScope()
	for _, tc := range []struct {
		old, key string
		want     any
	}{{"lr", ParamLR, 0.25}, {"weight_decay", ParamWeightDecay, 0.5}, {"adam_eps", ParamAdamEpsilon, 1e-6}, {ParamEpochs, ParamEpochs, 3}} {
		if v, ok := r.GetParam(tc.key); !ok || v != tc.want {
			t.Errorf("%s: %v (found %v), want %v from %s", tc.key, v, ok, tc.want, tc.old)
		}
		if _, ok := r.GetParam(tc.old); ok && tc.old != tc.key {
			t.Errorf("the older name %s is still in the store", tc.old)
		}
	}
	if got.GetVariable("/w") == nil {
		t.Error("variable /w lost in the renaming")
	}
}

// studentKind is the teacher's recipe under the student's kind: enough to
// check that a run refuses a recipe of another kind.
type studentKind struct{ Teacher }

func (studentKind) Kind() string { return "student" }
