package run

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/hparams"
)

// State is the loop's position, saved beside each checkpoint so a resumed
// run continues exactly where the checkpoint was taken.
type State struct {
	Epoch      int                `json:"epoch"`       // current epoch (1-based)
	Batch      int                `json:"batch"`       // batches of Epoch already done
	Step       int                `json:"step"`        // global steps done
	BestScore  float64            `json:"best_score"`  // best validation selection score so far
	BestEpoch  int                `json:"best_epoch"`  //
	LogOffset  int64              `json:"log_offset"`  // bytes of log.jsonl written up to this state
	BaseProb   []float32          `json:"base_prob"`   // adaptive logit adjustment
	BestValues map[string]float64 `json:"best_values"` // validation metrics of the best epoch
}

const StateFile = "state.json"

// SaveCheckpoint writes the store's variables and hyperparameters (GoMLX
// checkpoint format) plus state into dir, atomically: everything goes into a
// fresh sibling directory that replaces dir by renames only once complete.
// A crash at any point leaves either the old or the new checkpoint.
func SaveCheckpoint(store *model.Store, dir string, state *State) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return errors.Wrapf(err, "creating %s", parent)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return errors.Wrapf(err, "creating temporary checkpoint directory in %s", parent)
	}
	defer os.RemoveAll(tmp)
	// MkdirTemp makes 0700: a checkpoint is as readable as the run directory.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return errors.Wrapf(err, "preparing checkpoint in %s", tmp)
	}
	clone, err := sortedClone(store)
	if err != nil {
		return errors.Wrap(err, "copying model state for the checkpoint")
	}
	h, err := checkpoint.Build(clone).Dir(tmp).Keep(1).Done()
	if err != nil {
		return errors.Wrapf(err, "preparing checkpoint in %s", tmp)
	}
	if err := h.Save(); err != nil {
		return errors.Wrapf(err, "writing checkpoint into %s", tmp)
	}
	if state != nil {
		b, err := json.MarshalIndent(state, "", "  ")
		if err != nil {
			return errors.Wrap(err, "encoding checkpoint state")
		}
		if err := os.WriteFile(filepath.Join(tmp, StateFile), b, 0o644); err != nil {
			return errors.Wrap(err, "writing checkpoint state")
		}
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	unlock, err := LockCheckpoints(parent, true)
	if err != nil {
		return err
	}
	defer unlock()
	old := dir + ".old"
	_ = os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return errors.Wrapf(err, "moving old checkpoint %s aside", dir)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return errors.Wrapf(err, "installing checkpoint %s", dir)
	}
	_ = os.RemoveAll(old)
	return nil
}

// sortedClone copies the store's hyperparameters and variables into a new
// store whose variables are in path order: GoMLX writes a checkpoint's
// variables in the store's creation order, and a store loaded from a
// checkpoint creates them in map order, so without sorting the .bin of a
// resumed run differs byte-wise from the uninterrupted run's.
func sortedClone(store *model.Store) (*model.Store, error) {
	out := model.NewStore()
	for p, v := range store.IterParams() {
		scope, key := model.SplitPath(p)
		out.Scope(scope).SetParam(key, v)
	}
	vars := slices.Collect(store.IterVariables())
	slices.SortFunc(vars, func(a, b *model.Variable) int { return strings.Compare(a.Path(), b.Path()) })
	for _, v := range vars {
		if _, err := v.CloneToStore(out); err != nil {
			return nil, errors.Wrapf(err, "copying variable %s", v.Path())
		}
	}
	out.SetLoader(nil)
	return out, nil
}

// syncDir fsyncs every file in dir and dir itself.
func syncDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return errors.Wrapf(err, "syncing %s", e.Name())
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkpointDir returns the directory to load: dir, or dir.old when a crash
// happened between the two renames of SaveCheckpoint.
func checkpointDir(dir string) (string, bool) {
	for _, d := range []string{dir, dir + ".old"} {
		if st, err := os.Stat(filepath.Join(d, StateFile)); err == nil && !st.IsDir() {
			return d, true
		}
	}
	return "", false
}

// HasCheckpoint reports whether dir holds a complete checkpoint.
func HasCheckpoint(dir string) bool {
	_, ok := checkpointDir(dir)
	return ok
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint into a new
// store (hyperparameters and every variable) and returns its state.
func LoadCheckpoint(dir string) (store *model.Store, state *State, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("checkpoint %s is corrupted: %v", dir, r)
		}
	}()
	unlock, err := LockCheckpoints(filepath.Dir(dir), false)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	d, ok := checkpointDir(dir)
	if !ok {
		return nil, nil, errors.Errorf("no checkpoint in %s (missing %s)", dir, StateFile)
	}
	b, err := os.ReadFile(filepath.Join(d, StateFile))
	if err != nil {
		return nil, nil, errors.Wrapf(err, "reading checkpoint state")
	}
	state = &State{}
	if err := json.Unmarshal(b, state); err != nil {
		return nil, nil, errors.Wrapf(err, "checkpoint state %s is corrupted", filepath.Join(d, StateFile))
	}
	store = model.NewStore()
	h, err := checkpoint.Load(store).Dir(d).Immediate().Done()
	if err != nil {
		return nil, nil, errors.Wrapf(err, "checkpoint %s is corrupted or unreadable", d)
	}
	_ = h
	store.SetLoader(nil)
	if renamed, err := canonicalize(store); err != nil {
		return nil, nil, errors.Wrapf(err, "checkpoint %s", d)
	} else if renamed != nil {
		store = renamed
	}
	return store, state, nil
}

// canonicalize returns a copy of a store loaded from an older run in which
// the hyperparameters stored under an older name (an alias, hparams.Spec)
// carry their key, or nil when none does. GoMLX cannot delete a parameter,
// hence the copy.
func canonicalize(store *model.Store) (*model.Store, error) {
	old := false
	for p := range store.IterParams() {
		if scope, key := model.SplitPath(p); scope == model.RootScopePath && hparams.Canonical(key) != key {
			old = true
			break
		}
	}
	if !old {
		return nil, nil
	}
	out := model.NewStore()
	for p, v := range store.IterParams() {
		scope, key := model.SplitPath(p)
		if scope == model.RootScopePath && hparams.Canonical(key) != key {
			if _, has := store.RootScope().GetParam(hparams.Canonical(key)); has {
				continue // stored under both names: the key wins
			}
			key = hparams.Canonical(key)
		}
		out.Scope(scope).SetParam(key, v)
	}
	for v := range store.IterVariables() {
		if _, err := v.CloneToStore(out); err != nil {
			return nil, errors.Wrapf(err, "copying variable %s", v.Path())
		}
	}
	out.SetLoader(nil)
	return out, nil
}
