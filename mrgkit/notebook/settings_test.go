package notebook

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSettingsSetString(t *testing.T) {
	for _, tc := range []struct {
		name   string
		smoke  string
		s      Settings
		preset string
		set    string
	}{
		{"defaults", "", Settings{}, "cpu", ""},
		{"smoke defaults", "1", Settings{}, "tiny", "epochs=1"},
		{"explicit", "", Settings{Preset: "tiny", Epochs: 3, Seed: 7}, "tiny", "epochs=3;seed=7"},
		{"explicit epochs win over smoke", "1", Settings{Epochs: 2}, "tiny", "epochs=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SmokeEnv, tc.smoke)
			if got := tc.s.PresetName(); got != tc.preset {
				t.Errorf("preset %q, want %q", got, tc.preset)
			}
			if got := tc.s.SetString(); got != tc.set {
				t.Errorf("set %q, want %q", got, tc.set)
			}
		})
	}
}

func TestSettingsAblation(t *testing.T) {
	for _, tc := range []struct {
		name, smoke, seedsEnv, epochsEnv, setEnv string
		s                                        Settings
		seeds                                    int
		set                                      string
	}{
		{"defaults", "", "", "", "", Settings{}, 3, ""},
		{"smoke", "1", "", "", "", Settings{}, 1, "epochs=1"},
		{"environment", "", "1", "2", "", Settings{}, 1, "epochs=2"},
		{"settings win over the environment", "", "1", "2", "", Settings{AblationSeeds: 2, AblationEpochs: 4}, 2, "epochs=4"},
		{"bad environment values are ignored", "", "x", "-1", "", Settings{}, 3, ""},
		{"extra keys after the epochs", "", "3", "4", " val_limit=4 ", Settings{}, 3, "epochs=4;val_limit=4"},
		{"extra keys alone", "", "", "", "val_limit=4", Settings{}, 3, "val_limit=4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SmokeEnv, tc.smoke)
			t.Setenv(AblationSeedsEnv, tc.seedsEnv)
			t.Setenv(AblationEpochsEnv, tc.epochsEnv)
			t.Setenv(AblationSetEnv, tc.setEnv)
			seeds, set := tc.s.Ablation()
			if seeds != tc.seeds || set != tc.set {
				t.Errorf("Ablation() = %d, %q; want %d, %q", seeds, set, tc.seeds, tc.set)
			}
		})
	}
}

func TestAblationPresetName(t *testing.T) {
	t.Setenv(SmokeEnv, "")
	for _, tc := range []struct {
		env  string
		s    Settings
		want string
	}{
		{"", Settings{}, "cpu"},
		{"", Settings{Preset: "paper"}, "paper"},
		{"tiny", Settings{}, "tiny"},
		{"tiny", Settings{AblationPreset: "paper"}, "paper"},
	} {
		t.Setenv(AblationPresetEnv, tc.env)
		if got := tc.s.AblationPresetName(); got != tc.want {
			t.Errorf("env %q, %+v: %q, want %q", tc.env, tc.s, got, tc.want)
		}
	}
}

// TestSettingsMissingDirs: a missing data or run directory is an error that
// names the directory and the command that makes it.
func TestSettingsMissingDirs(t *testing.T) {
	t.Setenv(SmokeEnv, "")
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "nodata")
	_, err := Settings{DataDir: missing}.Data()
	var m *MissingError
	if !errors.As(err, &m) || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "mrg data synth -out "+missing) {
		t.Errorf("missing data dir: %v", err)
	}
	os.MkdirAll(filepath.Join(tmp, "ok"), 0o755)
	os.WriteFile(filepath.Join(tmp, "ok", "annotation.json"), []byte("{}"), 0o644)
	if dir, err := (Settings{DataDir: filepath.Join(tmp, "ok")}).Data(); err != nil || dir != filepath.Join(tmp, "ok") {
		t.Errorf("existing data dir: %q, %v", dir, err)
	}
	runs := filepath.Join(tmp, "runs")
	_, err = Settings{RunsDir: runs}.TrainedRun("teacher", "02_train_teacher.ipynb")
	if !IsMissing(err) || !strings.Contains(err.Error(), filepath.Join(runs, "teacher")) || !strings.Contains(err.Error(), "02_train_teacher.ipynb") {
		t.Errorf("missing run: %v", err)
	}
	// TeacherRun with RunsDir set does not train a missing teacher.
	if _, err := TeacherRun(Settings{RunsDir: runs}); !IsMissing(err) {
		t.Errorf("TeacherRun with a missing run: %v, want a MissingError", err)
	}
	t.Setenv(SmokeEnv, "1")
	if got, _ := (Settings{RunsDir: runs}).Run("teacher"); got != filepath.Join(runs, "teacher_smoke") {
		t.Errorf("smoke run dir %q", got)
	}
}

// TestFailIsOneLine: Must on an error prints one line and exits 1, no panic.
func TestFailIsOneLine(t *testing.T) {
	var code int
	exit = func(c int) { code = c; panic("exited") }
	defer func() { exit = os.Exit }()
	r, w, _ := os.Pipe()
	stderr := os.Stderr
	os.Stderr = w
	func() {
		defer func() {
			if p := recover(); p != "exited" {
				t.Errorf("recovered %v, want the exit", p)
			}
		}()
		Must(&MissingError{What: "data directory", Path: "/x", Fix: "make it"})
	}()
	os.Stderr = stderr
	w.Close()
	var buf bytes.Buffer
	buf.ReadFrom(r)
	if code != 1 || buf.String() != "error: data directory /x not found: make it\n" {
		t.Errorf("exit %d, stderr %q", code, buf.String())
	}
}
