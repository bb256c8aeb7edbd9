package train

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ui/commandline"
	"github.com/pkg/errors"

	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

// ResumableParams are the hyperparameters a resumed run may change with
// -set: the schedule, the length of the run and how it is validated and
// checkpointed. Every other hyperparameter shapes the model, the data or the
// selection score and is refused by name on resume.
var ResumableParams = []string{ParamLR, ParamMinLR, ParamWarmupSteps, ParamWeightDecay, ParamClipGrad,
	ParamEpochs, ParamCheckpointEvery, ParamValLimit, ParamValBeam, ParamMinGenLen}

// kitRunFiles are the files the kit writes at the top of a run directory.
var kitRunFiles = map[string]bool{LogFile: true, VocabFile: true, RunInfoFile: true, RunLockFile: true, ckptLockFile: true}

// isLeftover reports whether name is a temporary file or directory that an
// interrupted atomic write leaves behind (SaveCheckpoint, atomicfile.WriteFile).
func isLeftover(name string) bool {
	for _, d := range []string{CkptDir, BestDir} {
		if strings.HasPrefix(name, "."+d+".tmp-") {
			return true
		}
	}
	for f := range kitRunFiles {
		if strings.HasPrefix(name, "."+f+".tmp") {
			return true
		}
	}
	return false
}

// runDir is what prepareRunDir found in a run directory.
type runDir struct {
	resume bool     // ckpt/ holds a checkpoint to resume
	info   *RunInfo // run.json, when there is one
}

// prepareRunDir checks, under the run lock, that dir may be trained into by
// a run of the given kind, and tidies what interrupted writes left behind.
//
//   - A directory with a checkpoint in ckpt/ is resumed, if its run.json is
//     of the same kind.
//   - An empty directory, or one holding only the files of a run that never
//     reached its first checkpoint (log.jsonl, vocab.json, run.json of the
//     same kind), starts a new run.
//   - Anything else (a run pruned to best/, another kind of run, files of the
//     user's) is refused unless force; force replaces the kit's files
//     (log.jsonl, vocab.json, run.json, best/, ckpt/) and keeps every other.
//
// Files the kit did not write inside best/ or ckpt/ are refused even with
// force: saving a checkpoint replaces those directories whole.
func prepareRunDir(dir, kind string, force bool) (*runDir, error) {
	repairCheckpoints(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "reading run directory %s", dir)
	}
	rd := &runDir{resume: HasCheckpoint(filepath.Join(dir, CkptDir))}
	var others []string
	hasBest := false
	for _, e := range entries {
		name := e.Name()
		switch {
		case isLeftover(name):
			_ = os.RemoveAll(filepath.Join(dir, name))
		case name == CkptDir || name == BestDir:
			if !e.IsDir() {
				return nil, errors.Errorf("%s is not a directory: %s/ is where the kit keeps a checkpoint", filepath.Join(dir, name), name)
			}
			if name == BestDir {
				hasBest = true
			}
			if err := checkKitOnly(filepath.Join(dir, name)); err != nil {
				return nil, err
			}
		case kitRunFiles[name]:
		default:
			others = append(others, name)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, RunInfoFile)); err == nil {
		var info RunInfo
		if err := json.Unmarshal(b, &info); err != nil {
			if rd.resume || !force {
				return nil, errors.Wrapf(err, "%s is corrupted", filepath.Join(dir, RunInfoFile))
			}
		} else {
			rd.info = &info
		}
	}
	runKind := ""
	if rd.info != nil {
		runKind = rd.info.Kind
		if runKind == "" {
			runKind = "teacher"
		}
	}
	if rd.resume {
		if runKind != "" && runKind != kind {
			return nil, errors.Errorf("%s holds a %s run: a %s cannot resume it; use another -out", dir, runKind, kind)
		}
		return rd, nil
	}
	rd.info = nil
	if force {
		return rd, nil
	}
	switch {
	case hasBest:
		return nil, errors.Errorf("%s holds a trained run (%s/) but no %s/ to resume: a new run would replace its model; use another -out, or -force to replace it", dir, BestDir, CkptDir)
	case runKind != "" && runKind != kind:
		return nil, errors.Errorf("%s holds a %s run: refusing to overwrite it with a %s; use another -out, or -force", dir, runKind, kind)
	case len(others) > 0:
		sort.Strings(others)
		if len(others) > 3 {
			others = append(others[:3], "...")
		}
		return nil, errors.Errorf("%s is not empty (%s) and holds no run to resume: use another -out, or -force to start a run there (files the kit did not write are kept)", dir, strings.Join(others, ", "))
	}
	return rd, nil
}

// checkKitOnly refuses a checkpoint directory holding files the kit did not
// write, since SaveCheckpoint replaces the directory whole.
func checkKitOnly(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return errors.Wrapf(err, "reading %s", dir)
	}
	for _, e := range entries {
		n := e.Name()
		if n == stateFile || (!e.IsDir() && strings.HasPrefix(n, "checkpoint-") && (strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".bin"))) {
			continue
		}
		return errors.Errorf("%s was not written by mrgkit: the next checkpoint replaces %s whole; move it out first", filepath.Join(dir, n), dir)
	}
	return nil
}

// repairCheckpoints finishes a checkpoint swap that a crash interrupted: a
// lone dir.old (crash between the renames) is moved back, a dir.old beside a
// complete dir (crash before the clean-up) is removed.
func repairCheckpoints(runDir string) {
	for _, name := range []string{CkptDir, BestDir} {
		dir := filepath.Join(runDir, name)
		old := dir + ".old"
		if _, err := os.Stat(old); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
			_ = os.RemoveAll(old)
		} else if _, err := os.Stat(dir); os.IsNotExist(err) {
			_ = os.Rename(old, dir)
		}
	}
}

// absPath makes a recorded path absolute, so that run.json works from any
// directory. Empty stays empty.
func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// ResolveRunPath resolves a path read from a run's run.json. New runs record
// absolute paths. Older runs recorded them relative to the directory mrg was
// started in: such a path is taken relative to the current directory if it
// exists there, else relative to the nearest ancestor of the run directory
// where it exists, else left as it is.
func ResolveRunPath(runDir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	// Older runs recorded paths relative to the directory mrg was started in,
	// usually the run directory's grand-parent (runs/NAME): try the run
	// directory's ancestors.
	d := absPath(runDir)
	for range 4 {
		d = filepath.Dir(d)
		if c := filepath.Join(d, p); exists(c) {
			return c
		}
	}
	return p
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	if absPath(a) == absPath(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// SameRunDir reports whether two run directories are the same directory.
func SameRunDir(a, b string) bool { return sameDir(a, b) }

// applyResume checks a resumed run's options against what the run was
// started with and applies the resumable -set keys to the store. It returns
// the settings applied ("k=v;..."), for run.json.
func applyResume(store *model.Store, info *RunInfo, opts Options) (string, error) {
	root := store.RootScope()
	stored := model.GetParamOr(root, mrgmodel.ParamPreset, "")
	if opts.Preset != "" && stored != "" && opts.Preset != stored {
		return "", errors.Errorf("resuming %s: -preset %s differs from the run's preset %s; a run resumes with its own (use another -out for a new run)", opts.Out, opts.Preset, stored)
	}
	if info != nil {
		if info.DataDir != "" && opts.DataDir != "" && !sameDir(ResolveRunPath(opts.Out, info.DataDir), opts.DataDir) {
			return "", errors.Errorf("resuming %s: -data %s differs from the run's data %s (%s); a run resumes on the data it started with", opts.Out, opts.DataDir, info.DataDir, RunInfoFile)
		}
		if info.Dataset != "" && opts.Dataset != "" && info.Dataset != opts.Dataset {
			return "", errors.Errorf("resuming %s: -dataset %s differs from the run's %s (%s)", opts.Out, opts.Dataset, info.Dataset, RunInfoFile)
		}
	}
	if opts.Set == "" {
		return "", nil
	}
	// Apply -set to a scratch copy of the hyperparameters, then see what it changed.
	scratch := model.NewStore()
	before := map[string]any{}
	for p, v := range store.IterParams() {
		scope, key := model.SplitPath(p)
		scratch.Scope(scope).SetParam(key, v)
		before[p] = v
	}
	if _, err := commandline.ParseSettings(scratch, opts.Set); err != nil {
		return "", errors.Wrapf(err, "resuming %s: -set %q", opts.Out, opts.Set)
	}
	resumable := map[string]bool{}
	for _, k := range ResumableParams {
		resumable["/"+k] = true
	}
	var changed, refused []string
	after := map[string]any{}
	for p, v := range scratch.IterParams() {
		after[p] = v
		if old, ok := before[p]; ok && reflect.DeepEqual(old, v) {
			continue
		}
		if resumable[p] {
			changed = append(changed, p)
		} else {
			refused = append(refused, strings.TrimPrefix(p, "/"))
		}
	}
	sort.Strings(refused)
	if len(refused) > 0 {
		return "", errors.Errorf("resuming %s: -set cannot change %s on resume (only %s can); use another -out for a new run",
			opts.Out, strings.Join(refused, ", "), strings.Join(ResumableParams, ", "))
	}
	sort.Strings(changed)
	var applied []string
	for _, p := range changed {
		scope, key := model.SplitPath(p)
		store.Scope(scope).SetParam(key, after[p])
		applied = append(applied, fmt.Sprintf("%s=%v", key, after[p]))
	}
	if err := validate(store); err != nil {
		return "", errors.Wrapf(err, "resuming %s", opts.Out)
	}
	return strings.Join(applied, ";"), nil
}

// openLogAt opens the run log at a checkpoint's offset. A log shorter than
// the offset (deleted or cut by hand) is not padded: the run appends to what
// is there and says so.
func openLogAt(path string, offset int64, progress io.Writer) (*logWriter, error) {
	if st, err := os.Stat(path); err == nil && st.Size() < offset {
		fmt.Fprintf(progress, "warning: %s has %d bytes but the checkpoint wrote %d: its lost lines are not restored; appending from here\n", path, st.Size(), offset)
		offset = st.Size()
	} else if os.IsNotExist(err) && offset > 0 {
		fmt.Fprintf(progress, "warning: %s is missing (the checkpoint wrote %d bytes): starting a new log from here\n", path, offset)
		offset = 0
	}
	return openLog(path, offset)
}

// nanError is the message of a training stopped by a non-finite loss. It
// names the checkpoint to resume only when there is one.
func nanError(loss float64, state *State, ckpt string, lr float64) error {
	if step, ok := lastCkptStep(ckpt); ok {
		return errors.Errorf("loss is %v at step %d (epoch %d, lr %g): training stopped; the last good checkpoint is %s (step %d): resume it with a lower lr (-set lr=...)",
			loss, state.Step+1, state.Epoch, lr, ckpt, step)
	}
	return errors.Errorf("loss is %v at step %d (epoch %d, lr %g): training stopped before its first checkpoint; rerun with a lower lr (-set lr=...)",
		loss, state.Step+1, state.Epoch, lr)
}
