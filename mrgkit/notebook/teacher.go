package notebook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/distill"
	"github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// TeacherOptions are the training options of the notebooks' teacher: the
// dataset in dataDir, the settings' preset, epochs and seed, into run,
// quiet (the live view shows progress), progress on Out.
func TeacherOptions(s Settings, dataDir, rdir string) train.Options {
	return train.Options{
		DataDir:  dataDir,
		Dataset:  "toycxr",
		Preset:   s.PresetName(),
		Set:      s.SetString(),
		Out:      rdir,
		Progress: Out,
		Quiet:    true,
	}
}

// TrainTeacher trains (or resumes, or finds finished) the notebooks' teacher
// run s.Run("teacher") on s.Data(), with a live progress bar and curves.
func TrainTeacher(s Settings) (rdir string, sum *run.Summary, err error) {
	dir, err := s.Data()
	if err != nil {
		return "", nil, err
	}
	if rdir, err = s.Run("teacher"); err != nil {
		return "", nil, err
	}
	opts := TeacherOptions(s, dir, rdir)
	live := NewLive("teacher", rdir)
	opts.Observe = live.Observe
	sum, err = train.Train(opts)
	live.Done(err)
	return rdir, sum, err
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
	if run.HasCheckpoint(filepath.Join(rdir, run.BestDir)) {
		return rdir, nil
	}
	fmt.Fprintf(Out, "no trained teacher in %s yet: training it now\n", rdir)
	rdir, _, err = TrainTeacher(s)
	return rdir, err
}

// VariableRows reads a 2-D float32 variable of a store (e.g. the knowledge
// graph's node embeddings, model.NodeEmbeddingsPath) as rows.
func VariableRows(store *gmodel.Store, path string) ([][]float32, error) {
	v := store.GetVariable(path)
	if v == nil {
		return nil, errors.Errorf("notebook: the model has no variable %s", path)
	}
	t, err := v.Value()
	if err != nil {
		return nil, errors.Wrapf(err, "notebook: reading %s", path)
	}
	dims := t.Shape().Dimensions
	if len(dims) != 2 {
		return nil, errors.Errorf("notebook: %s has shape %s, want a matrix", path, t.Shape())
	}
	flat, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, errors.Wrapf(err, "notebook: reading %s", path)
	}
	rows := make([][]float32, dims[0])
	for i := range rows {
		rows[i] = flat[i*dims[1] : (i+1)*dims[1]]
	}
	return rows, nil
}

// ConceptNames are the knowledge graph's node names, for heatmap labels.
func ConceptNames() []string {
	names := make([]string, len(model.Concepts))
	for i, c := range model.Concepts {
		names[i] = c.Name
	}
	return names
}

// ConceptsFor returns the knowledge-graph concepts linked to the positive
// observations of labels (at most max), or the global "normal" node 0 when
// there is none.
func ConceptsFor(labels *chexpert.Labels, max int) []int {
	var out []int
	if labels != nil {
		for k, c := range model.Concepts {
			if c.Observation >= 0 && c.Observation != chexpert.NoFinding && labels[c.Observation] == chexpert.Positive {
				out = append(out, k)
				if len(out) == max {
					break
				}
			}
		}
	}
	if len(out) == 0 {
		out = []int{0}
	}
	return out
}

// GraphFigures writes, into outDir (PNG and SVG), the knowledge graph's
// adjacency ("graph_adjacency"), the co-occurrence edge weights when the run
// has them ("graph_cooccurrence"), and the cosine similarity of the run's
// learned node embeddings ("node_similarity").
func GraphFigures(rdir, outDir string) ([]string, error) {
	store, _, _, err := run.Load(rdir)
	if err != nil {
		return nil, err
	}
	names := ConceptNames()
	var written []string
	heat := func(name, title string, m [][]float64) error {
		paths, err := plots.Both(filepath.Join(outDir, name), func(p string) error {
			return plots.Heatmap(p, title, m, names, names)
		})
		written = append(written, paths...)
		return err
	}
	if err := heat("graph_adjacency", "Knowledge graph adjacency (global node + same organ group)", BoolMatrix(model.Adjacency())); err != nil {
		return written, err
	}
	if store.GetVariable(model.EdgeWeightsPath) != nil {
		w, err := VariableRows(store, model.EdgeWeightsPath)
		if err != nil {
			return written, err
		}
		m := make([][]float64, len(w))
		for i, r := range w {
			m[i] = make([]float64, len(r))
			for j, v := range r {
				m[i][j] = float64(v)
			}
		}
		if err := heat("graph_cooccurrence", "Edge weights from training-label co-occurrence", m); err != nil {
			return written, err
		}
	}
	emb, err := VariableRows(store, NodeEmbeddingsPath)
	if err != nil {
		return written, err
	}
	return written, heat("node_similarity", "Learned node embeddings: cosine similarity", CosineSimilarity(emb))
}

// NodeEmbeddingsPath is the knowledge graph's learned node embeddings [K, d].
const NodeEmbeddingsPath = "/" + model.ScopeName + "/knowledge/node_embeddings"

// AttentionFigures generates the report of one study with the run's model
// and draws, for each concept, its patch→concept attention over the frontal
// image ("attention_<id>_<concept>" in outDir, PNG and SVG). It returns the
// written paths and the generated report.
func AttentionFigures(rdir string, e data.Entry, imageRoot string, concepts []int, outDir string) ([]string, string, error) {
	if len(e.ImagePaths) == 0 {
		return nil, "", errors.Errorf("notebook: study %s has no images", e.ID)
	}
	var imgs []string
	for _, p := range e.ImagePaths {
		imgs = append(imgs, filepath.Join(imageRoot, p))
	}
	store, _, _, err := run.Load(rdir)
	if err != nil {
		return nil, "", err
	}
	c := model.ReadConfig(store)
	if len(imgs) > c.Views {
		imgs = imgs[:c.Views]
	}
	res, err := run.GenerateStudy(rdir, imgs, model.DefaultDecodeOptions(), nil, nil)
	if err != nil {
		return nil, "", err
	}
	if res.Attention == nil {
		return nil, res.Report, errors.Errorf("notebook: run %s has no fusion attention (fusion switched off)", rdir)
	}
	grid := model.GridSize(c)
	frontal, err := LoadImage(imgs[0])
	if err != nil {
		return nil, res.Report, err
	}
	var written []string
	for _, k := range concepts {
		w, err := ConceptAttention(res.Attention, len(model.Concepts), k, 0, grid, grid)
		if err != nil {
			return written, res.Report, err
		}
		name := fmt.Sprintf("attention_%s_%s", e.ID, strings.ReplaceAll(model.Concepts[k].Name, " ", "_"))
		title := fmt.Sprintf("%s: attention to %q (%dx%d patches)", e.ID, model.Concepts[k].Name, grid, grid)
		paths, err := plots.Both(filepath.Join(outDir, name), func(p string) error {
			return plots.AttentionOverlay(p, frontal, w, grid, grid, title)
		})
		written = append(written, paths...)
		if err != nil {
			return written, res.Report, err
		}
	}
	return written, res.Report, nil
}

// StudentOptions are the distillation options of the notebooks' student:
// distilled from teacher into run, with the settings' preset, epochs and
// seed, reference KD weights unless set overrides them.
func StudentOptions(s Settings, teacher, rdir, set string) distill.Options {
	return distill.Options{Teacher: teacher, Preset: s.PresetName(), Set: train.JoinSets(s.SetString(), set),
		Out: rdir, Progress: Out, Quiet: true}
}

// TrainStudent distills the notebooks' student (s.Run("student")) from the
// teacher (TeacherRun), with a live progress bar and curves (the KD
// components among the losses).
func TrainStudent(s Settings, set string) (rdir string, sum *run.Summary, err error) {
	teacher, err := TeacherRun(s)
	if err != nil {
		return "", nil, err
	}
	if rdir, err = s.Run("student"); err != nil {
		return "", nil, err
	}
	opts := StudentOptions(s, teacher, rdir, set)
	live := NewLive("student", rdir)
	opts.Observe = live.Observe
	sum, err = distill.Distill(opts)
	live.Done(err)
	return rdir, sum, err
}

// EvaluateTest evaluates a run on the test split (beam 3; greedy in smoke
// mode), writing RUN/eval_test, unless that evaluation already exists and
// is newer than the run's best checkpoint; it returns the metrics.
func EvaluateTest(rdir string) (map[string]float64, error) {
	metrics := filepath.Join(rdir, "eval_test", run.MetricsFile)
	if st, err := os.Stat(metrics); err == nil {
		if ck, err := os.Stat(filepath.Join(rdir, run.BestDir)); err == nil && st.ModTime().After(ck.ModTime()) {
			c, err := EvalCell(rdir, "test", "")
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

// ConceptIndices returns the knowledge-graph nodes with the given names
// (model.Concepts, case-insensitive), for AttentionFigures.
func ConceptIndices(names ...string) ([]int, error) {
	var out []int
	for _, n := range names {
		found := -1
		for k, c := range model.Concepts {
			if strings.EqualFold(c.Name, strings.TrimSpace(n)) {
				found = k
				break
			}
		}
		if found < 0 {
			return nil, errors.Errorf("notebook: unknown concept %q (known: %s)", n, strings.Join(ConceptNames(), ", "))
		}
		out = append(out, found)
	}
	return out, nil
}
