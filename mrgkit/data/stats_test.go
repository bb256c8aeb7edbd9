package data

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// statStudies: a (Cardiomegaly+), b (no positive), c (Cardiomegaly+), d (no labels).
var statStudies = []Entry{
	{ID: "a", Split: "train", Report: "The heart is enlarged. No effusion.",
		Labels: fixture.Labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Positive, "Pleural Effusion": chexpert.Negative})},
	{ID: "b", Split: "train", Report: "Heart size normal. Possible small effusion.",
		Labels: fixture.Labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Negative, "Pleural Effusion": chexpert.Uncertain})},
	{ID: "c", Split: "val", Report: "Enlarged heart.",
		Labels: fixture.Labels(map[string]chexpert.State{"Cardiomegaly": chexpert.Positive})},
	{ID: "d", Split: "test", Report: "No labels here."},
}

func TestLabelCounts(t *testing.T) {
	counts, unlabeled := LabelCounts(statStudies)
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
}

func TestWordCountsAndLengths(t *testing.T) {
	clean := strings.ToLower
	got := WordCounts(CleanAll(statStudies[:3], clean))
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
	lens := ReportLengths(statStudies, clean)
	if lens[0] != 6 || lens[2] != 2 || lens[3] != 3 {
		t.Errorf("lengths %v, want [6 ... 2 3]", lens)
	}
}

func TestDatasetSummary(t *testing.T) {
	ann := &Annotation{Train: statStudies[:2], Val: statStudies[2:3], Test: statStudies[3:]}
	row := DatasetSummary("toy", ann, strings.ToLower)
	// Lengths 6, 6, 2, 3 words: mean 4.25, max 6; 3 of 4 labelled. No word of
	// the two train reports occurs 3 times: the vocabulary is just <unk>.
	want := []string{"toy", "2 / 1 / 1", "3", "4.2", "6", "1"}
	if strings.Join(row, ",") != strings.Join(want, ",") {
		t.Errorf("DatasetSummary = %v, want %v", row, want)
	}
	if len(SummaryHeader) != len(want) {
		t.Errorf("SummaryHeader has %d columns, a row %d", len(SummaryHeader), len(want))
	}
}

func TestWithImages(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "x"), 0o755)
	os.WriteFile(filepath.Join(root, "x", "0.png"), []byte("p"), 0o644)
	entries := []Entry{
		{ID: "none"},
		{ID: "half", ImagePaths: []string{"x/0.png", "x/1.png"}},
		{ID: "ok", ImagePaths: []string{"x/0.png"}},
		{ID: "ok2", ImagePaths: []string{"x/0.png"}},
	}
	for _, c := range []struct {
		n    int
		want string
	}{{1, "ok"}, {0, "ok,ok2"}, {5, "ok,ok2"}} {
		if got := statIDs(WithImages(root, entries, c.n)); got != c.want {
			t.Errorf("WithImages(n=%d) = %s, want %s", c.n, got, c.want)
		}
	}
}

func statIDs(es []Entry) string {
	var s []string
	for _, e := range es {
		s = append(s, e.ID)
	}
	return strings.Join(s, ",")
}

func TestExampleStudies(t *testing.T) {
	for _, c := range []struct {
		f, n int
		want string
	}{{1, 1, "a,b"}, {2, 0, "a,c"}, {5, 5, "a,c,b,d"}, {0, 1, "b"}} {
		if got := statIDs(ExampleStudies(statStudies, c.f, c.n)); got != c.want {
			t.Errorf("ExampleStudies(%d, %d) = %s, want %s", c.f, c.n, got, c.want)
		}
	}
}
