package plots

import (
	"fmt"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/data"
)

// LabelBars turns label counts (data.LabelCounts) into bars (group =
// observation, name = state) for Bars.
func LabelBars(counts []data.LabelCount) []Bar {
	var bars []Bar
	for _, c := range counts {
		bars = append(bars,
			Bar{Group: c.Observation, Name: "positive", Mean: float64(c.Positive)},
			Bar{Group: c.Observation, Name: "negative", Mean: float64(c.Negative)},
			Bar{Group: c.Observation, Name: "uncertain", Mean: float64(c.Uncertain)})
	}
	return bars
}

// DatasetFigures writes, into outDir as PNG and SVG, "label_stats" (label
// states per observation; skipped when no entry has labels) and
// "report_lengths" (histogram of cleaned report lengths in words), and
// returns the written paths. name titles the figures.
func DatasetFigures(name string, entries []data.Entry, clean func(string) string, outDir string) ([]string, error) {
	if len(entries) == 0 {
		return nil, errors.Errorf("plots: %s: no entries", name)
	}
	var written []string
	counts, unlabeled := data.LabelCounts(entries)
	if unlabeled < len(entries) {
		paths, err := Both(filepath.Join(outDir, "label_stats"), func(p string) error {
			return Bars(p, fmt.Sprintf("%s: label states (%d studies)", name, len(entries)-unlabeled),
				"studies", LabelBars(counts))
		})
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	paths, err := Both(filepath.Join(outDir, "report_lengths"), func(p string) error {
		return Histogram(p, name+": report length", "words (cleaned)", data.ReportLengths(entries, clean), 30)
	})
	return append(written, paths...), err
}
