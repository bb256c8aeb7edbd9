package plots

import (
	"image/color"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bar is one bar of a grouped bar chart: the mean and standard deviation of
// Name (e.g. a configuration) within Group (e.g. a metric).
type Bar struct {
	Group, Name string
	Mean, Std   float64
}

// Bars draws a grouped bar chart with ±Std error bars. Groups appear along
// the x axis in order of first appearance, and each Name has its own colour
// (in order of first appearance) and a legend entry. A (Group, Name) pair
// may appear once; missing pairs leave a gap. Std must be >= 0 (0 draws no
// whisker) and all values finite.
func Bars(path, title, ylabel string, bars []Bar) error {
	if err := checkFormat(path); err != nil {
		return err
	}
	if len(bars) == 0 {
		return errors.Errorf("plots.Bars %s: no bars", path)
	}
	var groups, names []string
	gi, ni := map[string]int{}, map[string]int{}
	seen := map[[2]int]bool{}
	for i, b := range bars {
		if !finite(b.Mean) || !finite(b.Std) || b.Std < 0 {
			return errors.Errorf("plots.Bars %s: bar %d (%s/%s): mean %v ± std %v is not a finite value with std >= 0",
				path, i, b.Group, b.Name, b.Mean, b.Std)
		}
		if _, ok := gi[b.Group]; !ok {
			gi[b.Group] = len(groups)
			groups = append(groups, b.Group)
		}
		if _, ok := ni[b.Name]; !ok {
			ni[b.Name] = len(names)
			names = append(names, b.Name)
		}
		k := [2]int{gi[b.Group], ni[b.Name]}
		if seen[k] {
			return errors.Errorf("plots.Bars %s: bar %d: duplicate (group %q, name %q)", path, i, b.Group, b.Name)
		}
		seen[k] = true
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = labelTicks{labels: groups}
	longest, longestLabel := 0, ""
	for _, g := range groups {
		if len(g) > longest {
			longest, longestLabel = len(g), g
		}
	}
	var leftPad, extraH vg.Length
	if len(groups)*longest > 60 { // labels would overlap: slant them
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
		// The first label reaches left of the axis, beyond what gonum reserves.
		slant := p.X.Tick.Label.Width(longestLabel) * 0.7071
		leftPad = max(0, slant-0.6*vg.Inch)
		extraH = slant * 0.5
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	const groupWidth = 0.8
	w := groupWidth / float64(len(names))
	for n, name := range names {
		gb := &groupedBars{width: w, color: Color(n)}
		for _, b := range bars {
			if b.Name != name {
				continue
			}
			x := float64(gi[b.Group]) - groupWidth/2 + (float64(n)+0.5)*w
			gb.x = append(gb.x, x)
			gb.mean = append(gb.mean, b.Mean)
			gb.std = append(gb.std, b.Std)
		}
		p.Add(gb)
		p.Legend.Add(name, gb)
	}
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	// Few names: the legend sits top right, above the tallest whisker. Many:
	// it goes in a column right of the plot.
	top := 0.0
	for _, b := range bars {
		top = math.Max(top, b.Mean+b.Std)
	}
	var legendW vg.Length
	if len(names) > 3 {
		for _, n := range names {
			legendW = max(legendW, p.Legend.TextStyle.Width(n))
		}
		legendW += p.Legend.ThumbnailWidth + 0.25*vg.Inch
		p.Legend.XOffs = legendW
		if top > 0 {
			p.Y.Max = top * 1.05
		}
	} else if top > 0 {
		p.Y.Max = top * 1.2
	}
	if p.Y.Min > 0 {
		p.Y.Min = 0
	}
	width := DefaultWidth
	if extra := vg.Length(len(bars)) * 0.12 * vg.Inch; extra > 2*vg.Inch {
		width += extra - 2*vg.Inch
	}
	return save(path, width+leftPad+legendW, DefaultHeight+extraH, func(c draw.Canvas) {
		p.Draw(draw.Crop(c, leftPad, -legendW, 0, 0))
	})
}

// groupedBars draws bars of one name, centred at x in data units, with
// error whiskers; it is a plot.Plotter, plot.DataRanger and legend thumb.
type groupedBars struct {
	x, mean, std []float64
	width        float64
	color        color.Color
}

func (g *groupedBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for i := range g.x {
		x0, x1 := trX(g.x[i]-g.width/2), trX(g.x[i]+g.width/2)
		y0, y1 := trY(0), trY(g.mean[i])
		rect := c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		c.FillPolygon(g.color, rect)
		c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)},
			c.ClipLinesXY(append(rect, rect[0]))...)
		if g.std[i] > 0 {
			ls := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
			xm := trX(g.x[i])
			lo, hi := trY(g.mean[i]-g.std[i]), trY(g.mean[i]+g.std[i])
			cap := (x1 - x0) / 4
			c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: xm, Y: lo}, {X: xm, Y: hi}})...)
			c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: xm - cap, Y: lo}, {X: xm + cap, Y: lo}})...)
			c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: xm - cap, Y: hi}, {X: xm + cap, Y: hi}})...)
		}
	}
}

func (g *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	ymin, ymax = 0, 0
	for i := range g.x {
		xmin = math.Min(xmin, g.x[i]-g.width/2)
		xmax = math.Max(xmax, g.x[i]+g.width/2)
		ymin = math.Min(ymin, g.mean[i]-g.std[i])
		ymax = math.Max(ymax, g.mean[i]+g.std[i])
	}
	return
}

func (g *groupedBars) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	}
	c.FillPolygon(g.color, c.ClipPolygonY(pts))
}
