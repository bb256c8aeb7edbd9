package notebook

import (
	"fmt"
	"os"

	"github.com/mrgkit/mrgkit/mrgkit/ablate"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/demo"
	"github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// TrainTeacher trains (or resumes, or finds finished) the notebooks' teacher
// run s.Run("teacher") on s.Data() (demo.TrainTeacher), with a live
// progress bar and curves.
func TrainTeacher(s Settings) (rdir string, sum *run.Summary, err error) {
	dir, err := s.Data()
	if err != nil {
		return "", nil, err
	}
	if rdir, err = s.Run("teacher"); err != nil {
		return "", nil, err
	}
	live := NewLive("teacher", rdir)
	t := s.teacherTraining(dir, rdir)
	t.Observe = live.Observe
	sum, err = demo.TrainTeacher(t)
	live.Done(err)
	return rdir, sum, err
}

// teacherTraining is the notebooks' teacher: the dataset in dataDir, the
// settings' preset, epochs and seed, into rdir, progress on Out.
func (s Settings) teacherTraining(dataDir, rdir string) demo.Training {
	return demo.Training{DataDir: dataDir, Out: rdir, Preset: s.PresetName(), Set: s.SetString(), Progress: Out}
}

// TeacherRun returns the teacher run. With the default RunsDir it trains it
// first (TrainTeacher) if it has no best checkpoint yet — e.g. when
// 02_train_teacher was not run; with RunsDir set, a missing run is a
// MissingError.
func TeacherRun(s Settings) (string, error) {
	if s.RunsDir != "" {
		return s.TrainedRun("teacher", "02_train_teacher.ipynb")
	}
	rdir, err := s.Run("teacher")
	if err != nil {
		return "", err
	}
	if run.HasCheckpoint(run.Dir(rdir).Best()) {
		return rdir, nil
	}
	fmt.Fprintf(Out, "no trained teacher in %s yet: training it now\n", rdir)
	rdir, _, err = TrainTeacher(s)
	return rdir, err
}

// The notebooks' run figures are package plots' (runs.go); these are the
// names the notebook cells call.

// ConceptsFor is plots.ConceptsFor: the knowledge-graph concepts of the
// positive observations of labels (at most max), or node 0.
func ConceptsFor(labels *chexpert.Labels, max int) []int { return plots.ConceptsFor(labels, max) }

// ConceptIndices is plots.ConceptIndices: the knowledge-graph nodes with
// the given names.
func ConceptIndices(names ...string) ([]int, error) { return plots.ConceptIndices(names...) }

// GraphFigures is plots.GraphFigures: the knowledge graph's figures of a run.
func GraphFigures(rdir, outDir string) ([]string, error) { return plots.GraphFigures(rdir, outDir) }

// AttentionFigures is plots.AttentionFigures: a study's report and its
// patch→concept attention figures.
func AttentionFigures(rdir string, e data.Entry, imageRoot string, concepts []int, outDir string) ([]string, string, error) {
	return plots.AttentionFigures(rdir, e, imageRoot, concepts, outDir)
}

// TrainStudent distills the notebooks' student (s.Run("student")) from the
// teacher (TeacherRun) with demo.TrainStudent: the settings' preset, epochs
// and seed, reference KD weights unless set overrides them, with a live
// progress bar and curves (the KD components among the losses).
func TrainStudent(s Settings, set string) (rdir string, sum *run.Summary, err error) {
	teacher, err := TeacherRun(s)
	if err != nil {
		return "", nil, err
	}
	if rdir, err = s.Run("student"); err != nil {
		return "", nil, err
	}
	live := NewLive("student", rdir)
	t := s.studentTraining(teacher, rdir, set)
	t.Observe = live.Observe
	sum, err = demo.TrainStudent(t)
	live.Done(err)
	return rdir, sum, err
}

// studentTraining is the notebooks' student: distilled from teacher into
// rdir with the settings' preset, epochs and seed, then set.
func (s Settings) studentTraining(teacher, rdir, set string) demo.Training {
	return demo.Training{Teacher: teacher, Out: rdir, Preset: s.PresetName(), Set: demo.NotebookSet(s.epochs(), s.Seed, set), Progress: Out}
}

// EvaluateTest evaluates a run on the test split (beam 3; greedy in smoke
// mode), writing RUN/eval_test, unless that evaluation already exists and
// is newer than the run's best checkpoint; it returns the metrics.
func EvaluateTest(rdir string) (map[string]float64, error) {
	if st, err := os.Stat(run.Dir(rdir).Metrics("test")); err == nil {
		if ck, err := os.Stat(run.Dir(rdir).Best()); err == nil && st.ModTime().After(ck.ModTime()) {
			c, err := ablate.EvalCell(rdir, "test", "")
			return c.Metrics, err
		}
	}
	dec := model.DefaultDecodeOptions()
	dec.Beam = Pick(3, 1)
	res, err := run.Evaluate(rdir, run.EvalOptions{Split: "test", Decode: dec})
	if err != nil {
		return nil, err
	}
	return res.Flat, nil
}
