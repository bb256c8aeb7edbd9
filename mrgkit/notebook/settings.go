package notebook

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/demo"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// Settings are a notebook's parameters, in one cell at its top: edit them
// and run all cells again (Kernel → Restart & Run All) for a run on other
// settings, without touching the code below. Zero values take the default
// shown in brackets.
type Settings struct {
	Preset  string // model/training preset [cpu; smoke mode: tiny]
	Epochs  int    // training epochs [the preset's; smoke mode: 1]
	DataDir string // a dataset directory holding annotation.json [data/toycxr, generated on first use]
	Seed    int    // training seed [the preset's]
	RunsDir string // where the notebook's runs go [runs/notebooks, or $MRGKIT_RUNS]

	// The ablation grid of 03 (mrg ablate): seeds and epochs per cell
	// [3 seeds, the preset's epochs; smoke mode: 1, 1; or $MRGKIT_ABLATION_SEEDS,
	// $MRGKIT_ABLATION_EPOCHS].
	AblationSeeds, AblationEpochs int
	// AblationPreset is the grid's preset [Preset; or $MRGKIT_ABLATION_PRESET].
	AblationPreset string
}

// Environment variables for Settings' defaults (make notebooks-outputs
// uses them to point the notebooks at finished runs).
const (
	AblationSeedsEnv  = "MRGKIT_ABLATION_SEEDS"
	AblationEpochsEnv = "MRGKIT_ABLATION_EPOCHS"
	AblationPresetEnv = "MRGKIT_ABLATION_PRESET"
	// AblationSetEnv holds extra -set keys of the ablation grid ("k=v;..."),
	// appended after the epochs: make notebooks-outputs gives those of the
	// finished grid it shows (ABLATION_SET).
	AblationSetEnv = "MRGKIT_ABLATION_SET"
)

// MissingError is a missing data or run directory: what it is, where, and
// the command that makes it.
type MissingError struct {
	What, Path, Fix string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s %s not found: %s", e.What, e.Path, e.Fix)
}

// PresetName is the preset the notebook trains with.
func (s Settings) PresetName() string {
	if s.Preset != "" {
		return s.Preset
	}
	return Pick("cpu", "tiny")
}

// epochs are the training epochs of the settings: Epochs, or 1 in smoke
// mode, or 0 (the preset's).
func (s Settings) epochs() int {
	switch {
	case s.Epochs > 0:
		return s.Epochs
	case Smoke():
		return 1
	}
	return 0
}

// SetString is the "-set" string of the settings (epochs, seed:
// demo.NotebookSet).
func (s Settings) SetString() string { return demo.NotebookSet(s.epochs(), s.Seed) }

// Data returns the dataset directory: DataDir, which must hold an
// annotation.json, or the notebooks' synthetic set (ToyCXR), generated on
// first use.
func (s Settings) Data() (string, error) {
	if s.DataDir == "" {
		dir, _, err := ToyCXR()
		return dir, err
	}
	dir, err := filepath.Abs(s.DataDir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "annotation.json")); err != nil {
		return "", &MissingError{What: "data directory (annotation.json)", Path: dir,
			Fix: fmt.Sprintf("make a synthetic one with `./bin/mrg data synth -out %s` (`make build` first), or set DataDir to \"\" for data/toycxr", dir)}
	}
	return dir, nil
}

// Run returns the directory of the notebook run name: RunsDir/name if
// RunsDir is set, else RunDir(name).
func (s Settings) Run(name string) (string, error) {
	if s.RunsDir == "" {
		return RunDir(name)
	}
	base, err := filepath.Abs(s.RunsDir)
	if err != nil {
		return "", err
	}
	if Smoke() {
		name += "_smoke"
	}
	return filepath.Join(base, name), nil
}

// TrainedRun returns the run name (see Run) and checks that it has a best
// checkpoint; the error names the directory and how to train it (notebook
// makes the run: e.g. "02_train_teacher.ipynb").
func (s Settings) TrainedRun(name, notebook string) (string, error) {
	rdir, err := s.Run(name)
	if err != nil {
		return "", err
	}
	if !run.HasCheckpoint(run.Dir(rdir).Best()) {
		return "", &MissingError{What: "trained run (" + run.BestDir + "/)", Path: rdir,
			Fix: fmt.Sprintf("run %s with the same settings first (or `mrg train -data DATA -out %s`)", notebook, rdir)}
	}
	return rdir, nil
}

// Ablation returns the seeds and the "-set" epochs of the ablation grid.
func (s Settings) Ablation() (seeds int, set string) {
	seeds, epochs := s.AblationSeeds, s.AblationEpochs
	if seeds <= 0 {
		seeds = envInt(AblationSeedsEnv, Pick(3, 1))
	}
	if epochs <= 0 {
		epochs = envInt(AblationEpochsEnv, Pick(0, 1))
	}
	if epochs > 0 {
		set = demo.NotebookSet(epochs, 0)
	}
	if extra := strings.TrimSpace(os.Getenv(AblationSetEnv)); extra != "" {
		if set != "" {
			set += ";"
		}
		set += extra
	}
	return seeds, set
}

// AblationPresetName is the ablation grid's preset.
func (s Settings) AblationPresetName() string {
	switch {
	case s.AblationPreset != "":
		return s.AblationPreset
	case strings.TrimSpace(os.Getenv(AblationPresetEnv)) != "":
		return strings.TrimSpace(os.Getenv(AblationPresetEnv))
	}
	return s.PresetName()
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(strings.TrimSpace(os.Getenv(key))); err == nil && v > 0 {
		return v
	}
	return def
}

// Show displays the settings as they will be used (defaults filled in).
func (s Settings) Show() {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	runs, _ := s.Run("x")
	runs = filepath.Dir(runs) // the runs' directory
	data := s.DataDir
	if data == "" {
		d, _ := DataDir(Pick("toycxr", "toycxr_small"))
		data = d + " (synthetic, generated on first use)"
	}
	epochs := "the preset's"
	if e := s.epochs(); e > 0 {
		epochs = fmt.Sprint(e)
	}
	seeds, aset := s.Ablation()
	rows := [][]string{
		{"smoke mode", fmt.Sprint(Smoke())},
		{"Preset", s.PresetName()},
		{"Epochs", epochs},
		{"Seed", or(map[bool]string{true: fmt.Sprint(s.Seed)}[s.Seed != 0], "the preset's")},
		{"DataDir", data},
		{"RunsDir", runs},
		{"ablation grid", fmt.Sprintf("preset %s, %d seed(s), %s", s.AblationPresetName(), seeds, or(aset, "the preset's epochs"))},
	}
	Table([]string{"setting", "value"}, rows)
}

// Fail ends a notebook cell on err: the message on one line on stderr
// (which the notebook shows in the cell) and exit status 1 (the cell fails,
// Run All stops), never a Go panic trace. A MissingError says which
// directory is missing and how to make it.
func Fail(err error) {
	if InNotebook() {
		gonbui.Sync()
	}
	fmt.Fprintln(os.Stderr, "error: "+err.Error())
	exit(1)
}

// exit is os.Exit; tests replace it.
var exit = os.Exit

// IsMissing reports whether err is (or wraps) a MissingError.
func IsMissing(err error) bool {
	var m *MissingError
	return errors.As(err, &m)
}
