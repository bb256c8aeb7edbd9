package plots

import (
	"image"
	"image/color"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// OverlayAlpha is the opacity of the heatmap blended over the X-ray.
const OverlayAlpha = 0.45

// AttentionOverlay draws attention weights over a patch grid (row-major,
// gridH rows × gridW columns, e.g. patch→concept attention for one concept)
// on top of the grayscale X-ray img: the grid is upsampled bilinearly to the
// image size, mapped through a colour map, and alpha-blended over the image.
// A colour bar shows the raw weight range.
func AttentionOverlay(path string, img image.Image, weights []float32, gridH, gridW int, title string) error {
	if err := checkFormat(path); err != nil {
		return err
	}
	if img == nil || img.Bounds().Empty() {
		return errors.Errorf("plots.AttentionOverlay %s: empty image", path)
	}
	if gridH <= 0 || gridW <= 0 {
		return errors.Errorf("plots.AttentionOverlay %s: grid %dx%d must be positive", path, gridH, gridW)
	}
	if len(weights) != gridH*gridW {
		return errors.Errorf("plots.AttentionOverlay %s: %d weights for a %dx%d grid (want %d)",
			path, len(weights), gridH, gridW, gridH*gridW)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, w := range weights {
		v := float64(w)
		if !finite(v) {
			return errors.Errorf("plots.AttentionOverlay %s: weight %d is not finite (%v)", path, i, w)
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	blended := BlendHeat(img, weights, gridH, gridW, OverlayAlpha)
	if hi == lo {
		hi = lo + 1e-6
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)

	b := blended.Bounds()
	W, H := float64(b.Dx()), float64(b.Dy())
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewImage(blended, 0, 0, W, H))
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, W, 0, H
	imgW := 4.5 * vg.Inch
	imgH := imgW * vg.Length(H/W)
	return save(path, imgW+1.5*vg.Inch, imgH+0.6*vg.Inch, func(c draw.Canvas) {
		withColorBar(c, p, cm, "attention")
	})
}

// BlendHeat returns img in grayscale with the bilinearly upsampled weight
// grid (normalised to [0,1] by its min and max) blended over it with opacity
// alpha through the ExtendedBlackBody colour map. weights must hold
// gridH*gridW finite values (AttentionOverlay checks this).
func BlendHeat(img image.Image, weights []float32, gridH, gridW int, alpha float64) *image.RGBA {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range weights {
		lo, hi = math.Min(lo, float64(w)), math.Max(hi, float64(w))
	}
	norm := make([]float64, len(weights))
	if hi > lo {
		for i, w := range weights {
			norm[i] = (float64(w) - lo) / (hi - lo)
		}
	}
	// 256-entry colour lookup table.
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(0)
	cm.SetMax(1)
	var lut [256]color.RGBA
	for i := range lut {
		c, err := cm.At(float64(i) / 255)
		if err != nil {
			c = color.Black
		}
		r, g, bb, _ := c.RGBA()
		lut[i] = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), 255}
	}
	out := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		// Pixel centre in grid coordinates (cell centres at integer+0.5).
		gy := (float64(y)+0.5)*float64(gridH)/float64(H) - 0.5
		y0, fy := clampFloor(gy, gridH)
		y1 := min(y0+1, gridH-1)
		for x := 0; x < W; x++ {
			gx := (float64(x)+0.5)*float64(gridW)/float64(W) - 0.5
			x0, fx := clampFloor(gx, gridW)
			x1 := min(x0+1, gridW-1)
			v := (1-fy)*((1-fx)*norm[y0*gridW+x0]+fx*norm[y0*gridW+x1]) +
				fy*((1-fx)*norm[y1*gridW+x0]+fx*norm[y1*gridW+x1])
			heat := lut[int(math.Round(v*255))]
			gray := float64(color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y)
			mix := func(h uint8) uint8 {
				return uint8(math.Round((1-alpha)*gray + alpha*float64(h)))
			}
			out.SetRGBA(x, y, color.RGBA{mix(heat.R), mix(heat.G), mix(heat.B), 255})
		}
	}
	return out
}

// clampFloor returns floor(g) clamped to [0, n-1] and the fractional part
// towards the next cell (0 at the borders).
func clampFloor(g float64, n int) (int, float64) {
	if g <= 0 {
		return 0, 0
	}
	if g >= float64(n-1) {
		return n - 1, 0
	}
	f := math.Floor(g)
	return int(f), g - f
}
