package plots

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// Figures of a trained run's model: its knowledge graph (GraphFigures) and
// its patch→concept attention (AttentionFigures, AttentionFigure).

// VariableRows reads a 2-D float32 variable of a store (e.g. the knowledge
// graph's node embeddings, model.NodeEmbeddingsPath) as rows.
func VariableRows(store *gmodel.Store, path string) ([][]float32, error) {
	v := store.GetVariable(path)
	if v == nil {
		return nil, errors.Errorf("plots: the model has no variable %s", path)
	}
	t, err := v.Value()
	if err != nil {
		return nil, errors.Wrapf(err, "plots: reading %s", path)
	}
	dims := t.Shape().Dimensions
	if len(dims) != 2 {
		return nil, errors.Errorf("plots: %s has shape %s, want a matrix", path, t.Shape())
	}
	flat, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, errors.Wrapf(err, "plots: reading %s", path)
	}
	rows := make([][]float32, dims[0])
	for i := range rows {
		rows[i] = flat[i*dims[1] : (i+1)*dims[1]]
	}
	return rows, nil
}

// ConceptNames are the knowledge graph's node names (model.Concepts), for
// heatmap labels.
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
			return nil, errors.Errorf("plots: unknown concept %q (known: %s)", n, strings.Join(ConceptNames(), ", "))
		}
		out = append(out, found)
	}
	return out, nil
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
		paths, err := Both(filepath.Join(outDir, name), func(p string) error {
			return Heatmap(p, title, m, names, names)
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
	emb, err := VariableRows(store, model.NodeEmbeddingsPath)
	if err != nil {
		return written, err
	}
	return written, heat("node_similarity", "Learned node embeddings: cosine similarity", CosineSimilarity(emb))
}

// AttentionFigure writes base.png and base.svg: the patch→concept attention
// of a generated study (res, by a model of config c, with fusion attention)
// to one knowledge-graph concept, over the study's frontal image.
func AttentionFigure(base string, res *run.GenerateResult, c model.Config, concept int, title string) ([]string, error) {
	grid := model.GridSize(c)
	w, err := ConceptAttention(res.Attention, len(model.Concepts), concept, 0, grid, grid)
	if err != nil {
		return nil, err
	}
	frontal := res.Images[0].Gray()
	return Both(base, func(p string) error {
		return AttentionOverlay(p, frontal, w, grid, grid, title)
	})
}

// AttentionFigures generates the report of one study with the run's model
// (model.DefaultDecodeOptions) and draws, for each concept, its
// patch→concept attention over the frontal image
// ("attention_<id>_<concept>" in outDir, PNG and SVG). It returns the
// written paths and the generated report.
func AttentionFigures(rdir string, e data.Entry, imageRoot string, concepts []int, outDir string) ([]string, string, error) {
	if len(e.ImagePaths) == 0 {
		return nil, "", errors.Errorf("plots: study %s has no images", e.ID)
	}
	var imgs []string
	for _, p := range e.ImagePaths {
		imgs = append(imgs, filepath.Join(imageRoot, p))
	}
	m, err := run.LoadModel(rdir)
	if err != nil {
		return nil, "", err
	}
	c := m.Config
	if len(imgs) > c.Views {
		imgs = imgs[:c.Views]
	}
	res, err := m.GenerateStudy(imgs, model.DefaultDecodeOptions(), nil, nil)
	if err != nil {
		return nil, "", err
	}
	if res.Attention == nil {
		return nil, res.Report, errors.Errorf("plots: run %s has no fusion attention (fusion switched off)", rdir)
	}
	grid := model.GridSize(c)
	var written []string
	for _, k := range concepts {
		if k < 0 || k >= len(model.Concepts) {
			return written, res.Report, errors.Errorf("plots: concept %d out of range [0,%d)", k, len(model.Concepts))
		}
		name := fmt.Sprintf("attention_%s_%s", e.ID, strings.ReplaceAll(model.Concepts[k].Name, " ", "_"))
		title := fmt.Sprintf("%s: attention to %q (%dx%d patches)", e.ID, model.Concepts[k].Name, grid, grid)
		paths, err := AttentionFigure(filepath.Join(outDir, name), res, c, k, title)
		written = append(written, paths...)
		if err != nil {
			return written, res.Report, err
		}
	}
	return written, res.Report, nil
}
