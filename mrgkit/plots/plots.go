// Package plots draws mrgkit's figures with gonum/plot: line curves, bar
// charts with error bars, attention overlays and heatmaps, as PNG or SVG.
//
// The drawing API takes plain Go data (slices, images). The figures of the
// kit's artefacts build on it: a dataset's (DatasetFigures, from package
// data's statistics), a run's log (LossCurves), a trained run's knowledge
// graph and attention (GraphFigures, AttentionFigures, read through package
// run), results over seeds (CellBars, AblationBars), and the metric table
// of runs (MetricsTable); `mrg demo` and the notebooks draw with these.
// Every file is written atomically (temporary file + rename), and the output
// format is chosen by the path's extension: ".png" or ".svg".
package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
)

// DPI is the resolution of PNG output: a 6x4 inch figure is 600x400 pixels.
const DPI = 100

// Default figure size for line and bar charts.
const (
	DefaultWidth  = 6 * vg.Inch
	DefaultHeight = 4 * vg.Inch
)

// Series is one named curve: Y[i] against X[i].
type Series struct {
	Name string
	X, Y []float64
}

// Exts are the output formats written by Both and LossCurves, in order.
var Exts = []string{".png", ".svg"}

// Both calls write once per format in Exts with base+ext (base has no
// extension) and returns the paths written. Example:
//
//	paths, err := plots.Both("figures/loss", func(p string) error {
//		return plots.Lines(p, "Loss", "step", "loss", s)
//	})
func Both(base string, write func(path string) error) ([]string, error) {
	var paths []string
	for _, ext := range Exts {
		p := base + ext
		if err := write(p); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Lines draws one or more curves in a single line chart with a legend.
// Every series must be non-empty, with len(X) == len(Y) and finite values.
func Lines(path, title, xlabel, ylabel string, series ...Series) error {
	if err := checkFormat(path); err != nil {
		return err
	}
	if len(series) == 0 {
		return errors.Errorf("plots.Lines %s: no series", path)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	named := 0
	for i, s := range series {
		if len(s.X) == 0 {
			return errors.Errorf("plots.Lines %s: series %d (%q) is empty", path, i, s.Name)
		}
		if len(s.X) != len(s.Y) {
			return errors.Errorf("plots.Lines %s: series %d (%q) has %d x values but %d y values",
				path, i, s.Name, len(s.X), len(s.Y))
		}
		xys := make(plotter.XYs, len(s.X))
		for j := range s.X {
			if !finite(s.X[j]) || !finite(s.Y[j]) {
				return errors.Errorf("plots.Lines %s: series %d (%q) point %d is not finite (%v, %v)",
					path, i, s.Name, j, s.X[j], s.Y[j])
			}
			xys[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return errors.Wrapf(err, "plots.Lines %s: series %q", path, s.Name)
		}
		l.Color = Color(i)
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(i / len(palette10))
		p.Add(l)
		var thumbs []plot.Thumbnailer
		thumbs = append(thumbs, l)
		if len(xys) <= 30 { // few points (e.g. per epoch): mark them.
			sc, err := plotter.NewScatter(xys)
			if err == nil {
				sc.Color = l.Color
				sc.Shape = plotutil.Shape(i)
				p.Add(sc)
				thumbs = append(thumbs, sc)
			}
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, thumbs...)
			named++
		}
	}
	if named > 0 { // head room so the legend (top right) does not hide curves
		p.Y.Max += 0.08 * float64(named+1) * (p.Y.Max - p.Y.Min)
	}
	return save(path, DefaultWidth, DefaultHeight, p.Draw)
}

// palette10 is the "tab10" qualitative palette (matplotlib's default).
var palette10 = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

// Color returns the i-th colour of the figures' qualitative palette.
func Color(i int) color.Color { return palette10[i%len(palette10)] }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// format returns "png" or "svg" for path, or an error naming the path.
func format(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	}
	return "", errors.Errorf("plots: %q: unsupported output format %q (want .png or .svg)", path, filepath.Ext(path))
}

func checkFormat(path string) error {
	_, err := format(path)
	return err
}

// save renders drawFn on a w×h canvas and writes it atomically to path.
// gonum/plot panics on some degenerate input; such panics become errors.
func save(path string, w, h vg.Length, drawFn func(c draw.Canvas)) (err error) {
	f, err := format(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("plots: drawing %s: %v", path, r)
		}
	}()
	switch f {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
		drawFn(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return errors.Wrapf(err, "plots: encoding %s", path)
		}
	case "svg":
		c := vgsvg.New(w, h)
		dc := draw.New(c)
		// White background, as in the PNG.
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		drawFn(dc)
		if _, err := c.WriteTo(&buf); err != nil {
			return errors.Wrapf(err, "plots: encoding %s", path)
		}
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// labelTicks places the given labels at integer positions 0..n-1 (or
// reversed, for rows drawn top to bottom).
type labelTicks struct {
	labels  []string
	reverse bool
}

func (t labelTicks) Ticks(min, max float64) []plot.Tick {
	ticks := make([]plot.Tick, len(t.labels))
	for i, l := range t.labels {
		v := float64(i)
		if t.reverse {
			v = float64(len(t.labels) - 1 - i)
		}
		ticks[i] = plot.Tick{Value: v, Label: l}
	}
	return ticks
}

func sprintIndexLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}
