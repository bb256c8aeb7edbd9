package notebook

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/model"
)

func TestConceptsFor(t *testing.T) {
	var l chexpert.Labels
	l[chexpert.Index("Cardiomegaly")] = chexpert.Positive
	l[chexpert.Index("Pleural Effusion")] = chexpert.Positive
	l[chexpert.Index("Edema")] = chexpert.Negative
	l[chexpert.NoFinding] = chexpert.Positive // ignored: No Finding is not a finding
	got := ConceptsFor(&l, 5)
	var names []string
	for _, k := range got {
		names = append(names, model.Concepts[k].Name)
	}
	if strings.Join(names, ",") != "cardiomegaly,pleural effusion" {
		t.Errorf("ConceptsFor = %v", names)
	}
	if got := ConceptsFor(&l, 1); len(got) != 1 {
		t.Errorf("max 1: %v", got)
	}
	if got := ConceptsFor(nil, 3); len(got) != 1 || got[0] != 0 {
		t.Errorf("no labels: %v, want [0] (normal)", got)
	}
	if n := ConceptNames(); len(n) != len(model.Concepts) || n[0] != model.Concepts[0].Name {
		t.Errorf("ConceptNames = %v", n)
	}
}

func TestVariableRows(t *testing.T) {
	store := gmodel.NewStore()
	if _, err := store.Scope("/model/knowledge").CreateVariable("node_embeddings",
		tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6}, 3, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RootScope().CreateVariable("vec", tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2)); err != nil {
		t.Fatal(err)
	}
	rows, err := VariableRows(store, NodeEmbeddingsPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != 3 || rows[2][1] != 6 {
		t.Errorf("rows = %v, want [[1 2] [3 4] [5 6]]", rows)
	}
	if _, err := VariableRows(store, "/vec"); err == nil || !strings.Contains(err.Error(), "want a matrix") {
		t.Errorf("vector: err = %v", err)
	}
	if _, err := VariableRows(store, "/missing"); err == nil || !strings.Contains(err.Error(), "no variable /missing") {
		t.Errorf("missing: err = %v", err)
	}
}

func TestTeacherAndStudentOptions(t *testing.T) {
	t.Setenv(SmokeEnv, "1")
	o := TeacherOptions(Settings{}, "data", "run")
	if o.Preset != "tiny" || o.Set != "epochs=1" || o.Dataset != "toycxr" || o.DataDir != "data" || o.Out != "run" {
		t.Errorf("smoke teacher options %+v", o)
	}
	s := StudentOptions(Settings{}, "teacher", "student", "kd_adaptive=true")
	if s.Set != "epochs=1;kd_adaptive=true" || s.Teacher != "teacher" || s.Preset != "tiny" {
		t.Errorf("smoke student options %+v", s)
	}
	t.Setenv(SmokeEnv, "")
	if o := TeacherOptions(Settings{}, "d", "r"); o.Preset != "cpu" || o.Set != "" {
		t.Errorf("full teacher options %+v", o)
	}
	if s := StudentOptions(Settings{}, "t", "s", ""); s.Set != "" || s.Preset != "cpu" {
		t.Errorf("full student options %+v", s)
	}
	if o := TeacherOptions(Settings{Preset: "tiny", Epochs: 2, Seed: 5}, "d", "r"); o.Preset != "tiny" || o.Set != "epochs=2;seed=5" {
		t.Errorf("teacher options from settings %+v", o)
	}
	if s := StudentOptions(Settings{Epochs: 2}, "t", "s", "kd_adaptive=false"); s.Set != "epochs=2;kd_adaptive=false" {
		t.Errorf("student options from settings %+v", s)
	}
}

func TestConceptIndices(t *testing.T) {
	got, err := ConceptIndices("Cardiomegaly", " pleural effusion ")
	if err != nil {
		t.Fatal(err)
	}
	if model.Concepts[got[0]].Name != "cardiomegaly" || model.Concepts[got[1]].Name != "pleural effusion" {
		t.Errorf("ConceptIndices = %v", got)
	}
	if _, err := ConceptIndices("heart attack"); err == nil || !strings.Contains(err.Error(), `unknown concept "heart attack"`) {
		t.Errorf("unknown concept: err = %v", err)
	}
}
