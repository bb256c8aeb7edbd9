package plots

import (
	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Histogram draws the distribution of values in bins equal-width bins
// (bins <= 0 picks 20). values must be non-empty and finite.
func Histogram(path, title, xlabel string, values []float64, bins int) error {
	if err := checkFormat(path); err != nil {
		return err
	}
	if len(values) == 0 {
		return errors.Errorf("plots.Histogram %s: no values", path)
	}
	for i, v := range values {
		if !finite(v) {
			return errors.Errorf("plots.Histogram %s: value %d is not finite (%v)", path, i, v)
		}
	}
	if bins <= 0 {
		bins = 20
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "count"
	p.Add(plotter.NewGrid())
	h, err := plotter.NewHist(plotter.Values(values), bins)
	if err != nil {
		return errors.Wrapf(err, "plots.Histogram %s", path)
	}
	h.FillColor = Color(0)
	p.Add(h)
	return save(path, DefaultWidth, DefaultHeight, p.Draw)
}
