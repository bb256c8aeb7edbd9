package train

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	"github.com/mrgkit/mrgkit/mrgkit/internal/usage"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// ResumableParams are the hyperparameters a resumed run may change with
// -set: the schedule, the length of the run and how it is validated and
// checkpointed. Every other hyperparameter shapes the model, the data or the
// selection score and is refused by name on resume.
// They are the keys declared Resumable (hparams.Spec).
func ResumableParams() []string {
	var keys []string
	for _, s := range hparams.All() {
		if s.Resumable {
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// applyResume checks a resumed run's options against what the run was
// started with and applies the resumable -set keys to the store. It returns
// the settings applied ("k=v;..."), for run.json.
func applyResume(store *model.Store, info *run.Info, opts Options) (string, error) {
	root := store.RootScope()
	stored := hparams.String(root, mrgmodel.ParamPreset)
	if opts.Preset != "" && stored != "" && opts.Preset != stored {
		return "", errors.Errorf("resuming %s: -preset %s differs from the run's preset %s; a run resumes with its own (use another -out for a new run)", opts.Out, opts.Preset, stored)
	}
	if info != nil {
		if info.DataDir != "" && opts.DataDir != "" && !run.SameDir(run.ResolveRunPath(opts.Out, info.DataDir), opts.DataDir) {
			return "", errors.Errorf("resuming %s: -data %s differs from the run's data %s (%s); a run resumes on the data it started with", opts.Out, opts.DataDir, info.DataDir, run.RunInfoFile)
		}
		if info.Dataset != "" && opts.Dataset != "" && info.Dataset != opts.Dataset {
			return "", errors.Errorf("resuming %s: -dataset %s differs from the run's %s (%s)", opts.Out, opts.Dataset, info.Dataset, run.RunInfoFile)
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
	if err := mrgmodel.ParseSet(scratch, opts.Set); err != nil {
		return "", errors.Wrapf(err, "resuming %s", opts.Out) // a usage error
	}
	resumable := map[string]bool{}
	for _, k := range ResumableParams() {
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
			opts.Out, strings.Join(refused, ", "), strings.Join(ResumableParams(), ", "))
	}
	sort.Strings(changed)
	var applied []string
	for _, p := range changed {
		scope, key := model.SplitPath(p)
		store.Scope(scope).SetParam(key, after[p])
		applied = append(applied, fmt.Sprintf("%s=%v", key, after[p]))
	}
	if err := validate(store); err != nil {
		return "", usage.Wrap(errors.Wrapf(err, "resuming %s", opts.Out))
	}
	return strings.Join(applied, ";"), nil
}

// nanError is the message of a training stopped by a non-finite loss. It
// names the checkpoint to resume only when there is one.
func nanError(loss float64, state *run.State, ckpt string, lr float64) error {
	if step, ok := run.LastCkptStep(ckpt); ok {
		return errors.Errorf("loss is %v at step %d (epoch %d, lr %g): training stopped; the last good checkpoint is %s (step %d): resume it with a lower learning rate (-set learning_rate=...: it may change on resume)",
			loss, state.Step+1, state.Epoch, lr, ckpt, step)
	}
	return errors.Errorf("loss is %v at step %d (epoch %d, lr %g): training stopped before its first checkpoint; rerun with a lower learning rate (-set learning_rate=...)",
		loss, state.Step+1, state.Epoch, lr)
}
