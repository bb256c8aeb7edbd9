package run

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// kitRunFiles are the files the kit writes at the top of a run directory.
var kitRunFiles = map[string]bool{LogFile: true, VocabFile: true, RunInfoFile: true, RunLockFile: true, CkptLockFile: true}

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

// Prepared is what Prepare found in a run directory.
type Prepared struct {
	Resume bool  // ckpt/ holds a checkpoint to resume
	Info   *Info // run.json, when there is one
}

// Prepare checks, under the run lock, that dir may be trained into by
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
func Prepare(dir, kind string, force bool) (*Prepared, error) {
	repairCheckpoints(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "reading run directory %s", dir)
	}
	rd := &Prepared{Resume: HasCheckpoint(filepath.Join(dir, CkptDir))}
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
		var info Info
		if err := json.Unmarshal(b, &info); err != nil {
			if rd.Resume || !force {
				return nil, errors.Wrapf(err, "%s is corrupted", filepath.Join(dir, RunInfoFile))
			}
		} else {
			rd.Info = &info
		}
	}
	runKind := ""
	if rd.Info != nil {
		runKind = rd.Info.Kind
		if runKind == "" {
			runKind = "teacher"
		}
	}
	if rd.Resume {
		if runKind != "" && runKind != kind {
			return nil, errors.Errorf("%s holds a %s run: a %s cannot resume it; use another -out", dir, runKind, kind)
		}
		return rd, nil
	}
	rd.Info = nil
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
		if n == StateFile || (!e.IsDir() && strings.HasPrefix(n, "checkpoint-") && (strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".bin"))) {
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
		if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
			_ = os.RemoveAll(old)
		} else if _, err := os.Stat(dir); os.IsNotExist(err) {
			_ = os.Rename(old, dir)
		}
	}
}

// AbsPath makes a recorded path absolute, so that run.json works from any
// directory. Empty stays empty.
func AbsPath(p string) string {
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
	d := AbsPath(runDir)
	for range 4 {
		d = filepath.Dir(d)
		if c := filepath.Join(d, p); exists(c) {
			return c
		}
	}
	return p
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// SameDir reports whether a and b name the same directory.
func SameDir(a, b string) bool {
	if AbsPath(a) == AbsPath(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// SameRunDir reports whether two run directories are the same directory.
func SameRunDir(a, b string) bool { return SameDir(a, b) }
