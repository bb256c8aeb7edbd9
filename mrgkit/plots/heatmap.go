package plots

import (
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap draws matrix m (rows top to bottom, columns left to right) as a
// coloured grid with a colour bar, e.g. the knowledge graph's 27×27
// adjacency or a node-similarity matrix. rowLabels and colLabels may be nil
// (indices are used); otherwise their lengths must match m. m must be
// non-empty, rectangular and finite.
func Heatmap(path, title string, m [][]float64, rowLabels, colLabels []string) error {
	if err := checkFormat(path); err != nil {
		return err
	}
	rows := len(m)
	if rows == 0 || len(m[0]) == 0 {
		return errors.Errorf("plots.Heatmap %s: empty matrix", path)
	}
	cols := len(m[0])
	lo, hi := math.Inf(1), math.Inf(-1)
	for r, row := range m {
		if len(row) != cols {
			return errors.Errorf("plots.Heatmap %s: row %d has %d columns, row 0 has %d", path, r, len(row), cols)
		}
		for c, v := range row {
			if !finite(v) {
				return errors.Errorf("plots.Heatmap %s: entry [%d][%d] is not finite (%v)", path, r, c, v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if rowLabels == nil {
		rowLabels = sprintIndexLabels(rows)
	}
	if colLabels == nil {
		colLabels = sprintIndexLabels(cols)
	}
	if len(rowLabels) != rows {
		return errors.Errorf("plots.Heatmap %s: %d row labels for %d rows", path, len(rowLabels), rows)
	}
	if len(colLabels) != cols {
		return errors.Errorf("plots.Heatmap %s: %d column labels for %d columns", path, len(colLabels), cols)
	}
	if hi == lo {
		hi = lo + 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)

	p := plot.New()
	p.Title.Text = title
	h := plotter.NewHeatMap(matrixGrid(m), cm.Palette(255))
	h.Min, h.Max = lo, hi
	p.Add(h)
	fontSize := vg.Points(8)
	if n := max(rows, cols); n > 20 {
		fontSize = vg.Points(6.5)
	}
	p.X.Tick.Marker = labelTicks{labels: colLabels}
	p.Y.Tick.Marker = labelTicks{labels: rowLabels, reverse: true}
	p.X.Tick.Label.Font.Size = fontSize
	p.Y.Tick.Label.Font.Size = fontSize
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Padding, p.Y.Padding = 0, 0

	cell := 0.2 * vg.Inch
	w := max(4*vg.Inch, vg.Length(cols)*cell) + 3*vg.Inch
	ht := max(3*vg.Inch, vg.Length(rows)*cell) + 2.5*vg.Inch
	return save(path, w, ht, func(c draw.Canvas) {
		withColorBar(c, p, cm, "")
	})
}

// withColorBar draws p on the left of c and a vertical colour bar for cm,
// aligned with p's data area, on the right.
func withColorBar(c draw.Canvas, p *plot.Plot, cm palette.ColorMap, label string) {
	const barArea = 1.3 * vg.Inch
	main := draw.Crop(c, 0, -barArea, 0, 0)
	p.Draw(main)
	da := p.DataCanvas(main)
	bar := plot.New()
	bar.HideX()
	bar.Y.Padding = 0
	bar.Y.Label.Text = label
	bar.Y.Tick.Marker = preciseTicks{}
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	bc := draw.Crop(c, c.Max.X-c.Min.X-barArea+0.1*vg.Inch, -0.3*vg.Inch, 0, 0)
	bc.Min.Y, bc.Max.Y = da.Min.Y, da.Max.Y
	bar.Draw(bc)
}

// matrixGrid adapts a row-major matrix to plotter.GridXYZ with row 0 on top.
type matrixGrid [][]float64

func (g matrixGrid) Dims() (c, r int)   { return len(g[0]), len(g) }
func (g matrixGrid) Z(c, r int) float64 { return g[len(g)-1-r][c] }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }

// preciseTicks are gonum's default ticks labelled with enough decimals to
// tell them apart over narrow ranges (e.g. attention weights 0.0371–0.0378).
type preciseTicks struct{}

func (preciseTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	// Decimals enough for the spacing of the labelled ticks.
	var labelled []float64
	for _, t := range ticks {
		if t.Label != "" {
			labelled = append(labelled, t.Value)
		}
	}
	digits := 1
	if len(labelled) > 1 {
		if d := labelled[1] - labelled[0]; d > 0 {
			digits = int(math.Max(0, math.Ceil(-math.Log10(d)-1e-9)))
		}
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', digits, 64)
		}
	}
	return ticks
}
