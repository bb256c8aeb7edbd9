package notebook

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
)

func labels(states map[string]chexpert.State) *chexpert.Labels {
	var l chexpert.Labels
	for name, s := range states {
		l[chexpert.Index(name)] = s
	}
	return &l
}

var studies = []data.Entry{
	{ID: "a", Split: "train", Report: "The heart is enlarged. No effusion.",
		Labels: labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Positive, "Pleural Effusion": chexpert.Negative})},
	{ID: "b", Split: "train", Report: "Heart size normal. Possible small effusion.",
		Labels: labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Negative, "Pleural Effusion": chexpert.Uncertain})},
	{ID: "c", Split: "val", Report: "Enlarged heart.",
		Labels: labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Positive})},
	{ID: "d", Split: "test", Report: "No labels here."},
}

func TestLabelCounts(t *testing.T) {
	counts, unlabeled := LabelCounts(studies)
	if unlabeled != 1 {
		t.Errorf("unlabeled = %d, want 1", unlabeled)
	}
	want := map[string]LabelCount{
		"Cardiomegaly":     {"Cardiomegaly", 2, 1, 0, 0},
		"Pleural Effusion": {"Pleural Effusion", 0, 1, 1, 1},
		"Edema":            {"Edema", 0, 0, 0, 3},
	}
	if len(counts) != chexpert.NumObservations {
		t.Fatalf("%d counts, want %d", len(counts), chexpert.NumObservations)
	}
	for _, c := range counts {
		if w, ok := want[c.Observation]; ok && c != w {
			t.Errorf("%s: %+v, want %+v", c.Observation, c, w)
		}
	}
	bars := LabelBars(counts)
	if len(bars) != 3*chexpert.NumObservations || bars[3].Group != "Cardiomegaly" || bars[3].Name != "positive" || bars[3].Mean != 2 {
		t.Errorf("LabelBars: %d bars, bars[3] = %+v", len(bars), bars[3])
	}
}

func TestWordCountsAndLengths(t *testing.T) {
	clean := strings.ToLower
	got := WordCounts(CleanAll(studies[:3], clean))
	// "heart" appears in a (heart), b (heart), c (heart.) -> "heart" twice, "heart." once.
	m := map[string]int{}
	for _, w := range got {
		m[w.Word] = w.Count
	}
	if m["heart"] != 2 || m["heart."] != 1 || m["the"] != 1 {
		t.Errorf("counts heart=%d heart.=%d the=%d", m["heart"], m["heart."], m["the"])
	}
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Count > got[j].Count }) {
		t.Errorf("not sorted by count: %v", got)
	}
	lens := ReportLengths(studies, clean)
	if lens[0] != 6 || lens[2] != 2 || lens[3] != 3 {
		t.Errorf("lengths %v, want [6 ... 2 3]", lens)
	}
}

func TestDatasetFigures(t *testing.T) {
	out := t.TempDir()
	paths, err := DatasetFigures("fixture", studies, strings.ToLower, out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if got := strings.Join(names, " "); got != "label_stats.png label_stats.svg report_lengths.png report_lengths.svg" {
		t.Errorf("files: %s", got)
	}
	// Unlabeled data: only the length histogram.
	paths, err = DatasetFigures("real", studies[3:], strings.ToLower, t.TempDir())
	if err != nil || len(paths) != 2 || !strings.HasSuffix(paths[0], "report_lengths.png") {
		t.Errorf("unlabeled: %v, %v", paths, err)
	}
	if _, err := DatasetFigures("none", nil, strings.ToLower, out); err == nil {
		t.Error("no entries: no error")
	}
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

func TestWithImagesAndSharedDataset(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "x"), 0o755)
	os.WriteFile(filepath.Join(root, "x", "0.png"), []byte("p"), 0o644)
	entries := []data.Entry{
		{ID: "none"},
		{ID: "half", ImagePaths: []string{"x/0.png", "x/1.png"}},
		{ID: "ok", ImagePaths: []string{"x/0.png"}},
		{ID: "ok2", ImagePaths: []string{"x/0.png"}},
	}
	got := WithImages(root, entries, 1)
	if len(got) != 1 || got[0].ID != "ok" {
		t.Errorf("WithImages(n=1) = %v", got)
	}
	if got := WithImages(root, entries, 0); len(got) != 2 {
		t.Errorf("WithImages(n=0) = %d entries, want 2", len(got))
	}

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

func TestEnsureDatasetAndSummary(t *testing.T) {
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
	ann, err := data.LoadAnnotation(filepath.Join(dir, "annotation.json"))
	if err != nil {
		t.Fatal(err)
	}
	row := DatasetSummary("toy", ann, strings.ToLower)
	// Lengths 6, 6, 2, 3 words: mean 4.25, max 6; 3 of 4 labelled. No word of
	// the two train reports occurs 3 times: the vocabulary is just <unk>.
	want := []string{"toy", "2 / 1 / 1", "3", "4.2", "6", "1"}
	if strings.Join(row, ",") != strings.Join(want, ",") {
		t.Errorf("DatasetSummary = %v, want %v", row, want)
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

func TestExampleStudies(t *testing.T) {
	// studies: a (Cardiomegaly+), b (no positive), c (Cardiomegaly+), d (no labels).
	ids := func(es []data.Entry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.ID)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		f, n int
		want string
	}{{1, 1, "a,b"}, {2, 0, "a,c"}, {5, 5, "a,c,b,d"}, {0, 1, "b"}} {
		if got := ids(ExampleStudies(studies, c.f, c.n)); got != c.want {
			t.Errorf("ExampleStudies(%d, %d) = %s, want %s", c.f, c.n, got, c.want)
		}
	}
}
