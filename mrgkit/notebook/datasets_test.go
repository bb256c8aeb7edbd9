package notebook

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
)

var studies = []data.Entry{
	{ID: "a", Split: "train", Report: "The heart is enlarged. No effusion.",
		Labels: fixture.Labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Positive, "Pleural Effusion": chexpert.Negative})},
	{ID: "b", Split: "train", Report: "Heart size normal. Possible small effusion.",
		Labels: fixture.Labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Negative, "Pleural Effusion": chexpert.Uncertain})},
	{ID: "c", Split: "val", Report: "Enlarged heart.",
		Labels: fixture.Labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Positive})},
	{ID: "d", Split: "test", Report: "No labels here."},
}

func TestLabelSummary(t *testing.T) {
	for _, c := range []struct {
		l    *chexpert.Labels
		want string
	}{
		{nil, "no labels"},
		{&chexpert.Labels{}, "all blank"},
		{studies[1].Labels, "Pleural Effusion: uncertain; Cardiomegaly: negative"},
	} {
		if got := LabelSummary(c.l); got != c.want {
			t.Errorf("LabelSummary = %q, want %q", got, c.want)
		}
	}
}

func TestShowStudyOutsideNotebook(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	img := image.NewGray(image.Rect(0, 0, 5, 4))
	img.SetGray(1, 1, color.Gray{200})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(filepath.Join(root, "a", "0.png"), buf.Bytes(), 0o644)
	e := studies[0]
	e.ImagePaths = []string{"a/0.png"}
	var out bytes.Buffer
	Out = &out
	defer func() { Out = os.Stdout }()
	if err := ShowStudy(root, e, 100); err != nil {
		t.Fatal(err)
	}
	want := "image a/0.png: 5x4\na (train)\nreport: The heart is enlarged. No effusion.\nlabels: Cardiomegaly: positive; Pleural Effusion: negative\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
	e.ImagePaths = []string{"a/missing.png"}
	if err := ShowStudy(root, e, 100); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing image: err = %v", err)
	}
	// The decoded image keeps its pixels.
	g, err := LoadImage(filepath.Join(root, "a", "0.png"))
	if err != nil || g.GrayAt(1, 1).Y != 200 || g.GrayAt(0, 0).Y != 0 {
		t.Errorf("LoadImage: %v, pixel %v", err, g.GrayAt(1, 1))
	}
}

func TestSharedDataset(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	os.MkdirAll(filepath.Join(repo, "..", "shared", "data", "iu_xray"), 0o755)
	t.Setenv(RootEnv, repo)
	t.Setenv(SharedEnv, "")
	if _, ok := SharedDataset("iu_xray"); ok {
		t.Error("SharedDataset without annotation.json: ok")
	}
	os.WriteFile(filepath.Join(repo, "..", "shared", "data", "iu_xray", "annotation.json"), []byte("{}"), 0o644)
	if dir, ok := SharedDataset("iu_xray"); !ok || dir != filepath.Join(filepath.Dir(repo), "shared", "data", "iu_xray") {
		t.Errorf("SharedDataset = %q, %v", dir, ok)
	}
}

func TestEnsureDataset(t *testing.T) {
	var out bytes.Buffer
	Out = &out
	defer func() { Out = os.Stdout }()
	t.Setenv(DataEnv, t.TempDir())
	dir, err := DataDir("toy")
	if err != nil || filepath.Base(dir) != "toy" {
		t.Fatalf("DataDir = %q, %v", dir, err)
	}
	calls := 0
	gen := func(d string) error {
		calls++
		os.MkdirAll(d, 0o755)
		es := append([]data.Entry(nil), studies...)
		for i := range es {
			es[i].ImagePaths = []string{es[i].ID + "/0.png"}
		}
		ann := &data.Annotation{Train: es[:2], Val: es[2:3], Test: es[3:]}
		return ann.Save(filepath.Join(d, "annotation.json"))
	}
	for i := 0; i < 2; i++ {
		if err := EnsureDataset(dir, gen); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 || !strings.Contains(out.String(), "using the existing dataset") {
		t.Errorf("generate called %d times (want 1); output %q", calls, out.String())
	}
	if err := EnsureDataset(filepath.Join(dir, "x"), func(string) error { return nil }); err == nil {
		t.Error("generator writing nothing: no error")
	}
}

func TestToyCXRSmoke(t *testing.T) {
	var out bytes.Buffer
	Out = &out
	defer func() { Out = os.Stdout }()
	t.Setenv(DataEnv, t.TempDir())
	t.Setenv(SmokeEnv, "1")
	dir, cfg, err := ToyCXR()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "toycxr_small" {
		t.Errorf("smoke dataset in %s, want .../toycxr_small", dir)
	}
	ann, err := data.LoadAnnotation(filepath.Join(dir, "annotation.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ann.Train) != cfg.Train || len(ann.Val) != cfg.Val || len(ann.Test) != cfg.Test {
		t.Errorf("splits %d/%d/%d, config %d/%d/%d", len(ann.Train), len(ann.Val), len(ann.Test), cfg.Train, cfg.Val, cfg.Test)
	}
	if got := WithImages(filepath.Join(dir, "images"), ann.Train, 0); len(got) != len(ann.Train) {
		t.Errorf("%d of %d train studies have their images", len(got), len(ann.Train))
	}
	if _, _, err := ToyCXR(); err != nil || !strings.Contains(out.String(), "using the existing dataset") {
		t.Errorf("second call: %v; output %q", err, out.String())
	}
}
