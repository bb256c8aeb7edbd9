package plots

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
)

// datasetStudies: a and c say Cardiomegaly, b has no positive, d no labels.
func datasetStudies() []data.Entry {
	lab := func(o string, s chexpert.State) *chexpert.Labels {
		var l chexpert.Labels
		l[chexpert.Index(o)] = s
		return &l
	}
	return []data.Entry{
		{ID: "a", Report: "The heart is enlarged. No effusion.", Labels: lab("Cardiomegaly", chexpert.Positive)},
		{ID: "b", Report: "Heart size normal.", Labels: lab("Cardiomegaly", chexpert.Negative)},
		{ID: "c", Report: "Enlarged heart.", Labels: lab("Cardiomegaly", chexpert.Positive)},
		{ID: "d", Report: "No labels here."},
	}
}

func TestLabelBars(t *testing.T) {
	bars := LabelBars([]data.LabelCount{{Observation: "Edema", Positive: 2, Negative: 1, Uncertain: 4, Blank: 9}, {Observation: "Mass"}})
	want := []Bar{{Group: "Edema", Name: "positive", Mean: 2}, {Group: "Edema", Name: "negative", Mean: 1}, {Group: "Edema", Name: "uncertain", Mean: 4},
		{Group: "Mass", Name: "positive"}, {Group: "Mass", Name: "negative"}, {Group: "Mass", Name: "uncertain"}}
	if len(bars) != len(want) {
		t.Fatalf("%d bars, want %d: %+v", len(bars), len(want), bars)
	}
	for i := range want {
		if bars[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, bars[i], want[i])
		}
	}
}

func TestDatasetFigures(t *testing.T) {
	studies := datasetStudies()
	for _, c := range []struct {
		name    string
		entries []data.Entry
		files   string // "" : an error
	}{
		{"labelled", studies, "label_stats.png label_stats.svg report_lengths.png report_lengths.svg"},
		{"unlabelled", studies[3:], "report_lengths.png report_lengths.svg"}, // only the length histogram
		{"none", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			paths, err := DatasetFigures(c.name, c.entries, strings.ToLower, out)
			if c.files == "" {
				if err == nil || !strings.Contains(err.Error(), "none: no entries") {
					t.Errorf("err = %v, want one naming the dataset", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range paths {
				names = append(names, filepath.Base(p))
			}
			if got := strings.Join(names, " "); got != c.files {
				t.Errorf("files %s, want %s", got, c.files)
			}
			checkPNG(t, paths[0], 0, 0)
		})
	}
}
