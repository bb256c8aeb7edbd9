package demo

import (
	"fmt"
	"io"

	"github.com/mrgkit/mrgkit/mrgkit/distill"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// The notebooks' teacher and student (package notebook shows their
// progress live): the same runs as the demo's, one at a time, with the
// notebook's settings.

// Training is one run of the notebooks' teacher (on the synthetic dataset
// toycxr in DataDir) or student (distilled from Teacher), quiet: Observe
// shows its progress.
type Training struct {
	DataDir  string // the teacher's dataset (a student reads its teacher's)
	Teacher  string // the student's teacher run
	Out      string // the run directory
	Preset   string
	Set      string // "-set" overrides (NotebookSet)
	Progress io.Writer
	Observe  run.Observer
}

// NotebookSet is the "-set" string of a notebook's settings: epochs (> 0)
// and seed (!= 0) when given, then the extra overrides, ";"-joined.
func NotebookSet(epochs, seed int, extra ...string) string {
	var parts []string
	if epochs > 0 {
		parts = append(parts, fmt.Sprintf("%s=%d", train.ParamEpochs, epochs))
	}
	if seed != 0 {
		parts = append(parts, fmt.Sprintf("%s=%d", run.ParamSeed, seed))
	}
	return train.JoinSets(append(parts, extra...)...)
}

// TeacherOptions are the training options of the notebooks' teacher.
func TeacherOptions(t Training) train.Options {
	return train.Options{
		DataDir:  t.DataDir,
		Dataset:  "toycxr",
		Preset:   t.Preset,
		Set:      t.Set,
		Out:      t.Out,
		Progress: t.Progress,
		Quiet:    true,
		Observe:  t.Observe,
	}
}

// StudentOptions are the distillation options of the notebooks' student.
func StudentOptions(t Training) distill.Options {
	return distill.Options{Teacher: t.Teacher, Preset: t.Preset, Set: t.Set, Out: t.Out, Progress: t.Progress, Quiet: true, Observe: t.Observe}
}

// TrainTeacher trains (or resumes, or finds finished) the notebooks' teacher.
func TrainTeacher(t Training) (*run.Summary, error) { return train.Train(TeacherOptions(t)) }

// TrainStudent distills (or resumes, or finds finished) the notebooks' student.
func TrainStudent(t Training) (*run.Summary, error) { return distill.Distill(StudentOptions(t)) }
