package toycxr

import "math"

// canvas is a square grayscale image addressed in unit coordinates (u right,
// v down, both in [0,1]) through a small affine "positioning" transform.
type canvas struct {
	n              int
	pix            []float64
	a, b, c, d     float64   // forward linear part (unit offsets -> unit offsets)
	tx, ty         float64   // forward translation (unit)
	ia, ib, ic, id float64   // inverse linear part
	edge           float64   // edge softness in unit coordinates
	metal          []float64 // coverage of metal (devices), composited after exposure
}

// drawMetal runs draw with the canvas redirected to the metal layer.
func (c *canvas) drawMetal(draw func()) {
	if c.metal == nil {
		c.metal = make([]float64, len(c.pix))
	}
	c.pix, c.metal = c.metal, c.pix
	draw()
	c.pix, c.metal = c.metal, c.pix
}

func newCanvas(n int, rotDeg, scale, tx, ty float64) *canvas {
	s, co := math.Sincos(rotDeg * math.Pi / 180)
	c := &canvas{n: n, pix: make([]float64, n*n), a: scale * co, b: -scale * s, c: scale * s, d: scale * co, tx: tx, ty: ty}
	det := c.a*c.d - c.b*c.c
	c.ia, c.ib, c.ic, c.id = c.d/det, -c.b/det, -c.c/det, c.a/det
	c.edge = 1.2 / float64(n)
	return c
}

// toPix maps unit coordinates to pixel coordinates.
func (c *canvas) toPix(u, v float64) (float64, float64) {
	x := c.a*(u-0.5) + c.b*(v-0.5) + 0.5 + c.tx
	y := c.c*(u-0.5) + c.d*(v-0.5) + 0.5 + c.ty
	return x * float64(c.n), y * float64(c.n)
}

// toUnit maps pixel-centre coordinates back to unit coordinates.
func (c *canvas) toUnit(px, py float64) (float64, float64) {
	x := px/float64(c.n) - 0.5 - c.tx
	y := py/float64(c.n) - 0.5 - c.ty
	return c.ia*x + c.ib*y + 0.5, c.ic*x + c.id*y + 0.5
}

// paint evaluates f (a coverage or amount in [0,1]) over the unit box
// [u0,u1]x[v0,v1] and combines it into each pixel with op.
func (c *canvas) paint(u0, v0, u1, v1 float64, f func(u, v float64) float64, op func(old, amount float64) float64) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range [4][2]float64{{u0, v0}, {u1, v0}, {u0, v1}, {u1, v1}} {
		x, y := c.toPix(p[0], p[1])
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	x0, x1 := max(0, int(minX)-2), min(c.n, int(maxX)+3)
	y0, y1 := max(0, int(minY)-2), min(c.n, int(maxY)+3)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			u, v := c.toUnit(float64(x)+0.5, float64(y)+0.5)
			if a := f(u, v); a > 0 {
				i := y*c.n + x
				c.pix[i] = op(c.pix[i], a)
			}
		}
	}
}

// paintAll is paint over the whole image.
func (c *canvas) paintAll(f func(u, v float64) float64, op func(old, amount float64) float64) {
	c.paint(-0.2, -0.2, 1.2, 1.2, f, op)
}

// blend moves a pixel towards value by amount*alpha.
func blend(value, alpha float64) func(old, amount float64) float64 {
	return func(old, a float64) float64 { return old + (value-old)*clamp01(a*alpha) }
}

// add adds delta*amount.
func add(delta float64) func(old, amount float64) float64 {
	return func(old, a float64) float64 { return old + delta*a }
}

func clamp01(x float64) float64 { return min(1, max(0, x)) }

// cover turns a signed distance (negative inside) into soft coverage.
func (c *canvas) cover(sd float64) float64 { return clamp01(0.5 - sd/c.edge) }

// ellipseSD is an approximate signed distance to a rotated ellipse.
func ellipseSD(u, v, cx, cy, rx, ry, rotDeg float64) float64 {
	x, y := u-cx, v-cy
	if rotDeg != 0 {
		s, co := math.Sincos(-rotDeg * math.Pi / 180)
		x, y = co*x-s*y, s*x+co*y
	}
	x, y = x/rx, y/ry
	k := math.Sqrt(x*x + y*y)
	return (k - 1) * min(rx, ry)
}

// segDist2 is the squared distance from (u,v) to the segment (x0,y0)-(x1,y1).
func segDist2(u, v, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = clamp01(((u-x0)*dx + (v-y0)*dy) / l2)
	}
	ex, ey := u-(x0+t*dx), v-(y0+t*dy)
	return ex*ex + ey*ey
}

// polyDist is the distance to a polyline.
func polyDist(u, v float64, pts [][2]float64) float64 {
	d := math.Inf(1)
	for i := 1; i < len(pts); i++ {
		d = min(d, segDist2(u, v, pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]))
	}
	return math.Sqrt(d)
}

// bezier samples a quadratic Bézier curve into n+1 points.
func bezier(p0, p1, p2 [2]float64, n int) [][2]float64 {
	pts := make([][2]float64, n+1)
	for i := range pts {
		t := float64(i) / float64(n)
		a, b, c := (1-t)*(1-t), 2*(1-t)*t, t*t
		pts[i] = [2]float64{a*p0[0] + b*p1[0] + c*p2[0], a*p0[1] + b*p1[1] + c*p2[1]}
	}
	return pts
}

// bounds returns the bounding box of points padded by pad.
func bounds(pts [][2]float64, pad float64) (u0, v0, u1, v1 float64) {
	u0, v0, u1, v1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		u0, u1 = min(u0, p[0]), max(u1, p[0])
		v0, v1 = min(v0, p[1]), max(v1, p[1])
	}
	return u0 - pad, v0 - pad, u1 + pad, v1 + pad
}

func gauss(u, v, cx, cy, sx, sy float64) float64 {
	x, y := (u-cx)/sx, (v-cy)/sy
	return math.Exp(-0.5 * (x*x + y*y))
}

// line draws a polyline of half-width w (at least 0.6 pixel), blending towards value.
func (c *canvas) line(pts [][2]float64, w, value, alpha float64) {
	w = max(w, 0.6/float64(c.n))
	u0, v0, u1, v1 := bounds(pts, w+3*c.edge)
	c.paint(u0, v0, u1, v1, func(u, v float64) float64 { return c.cover(polyDist(u, v, pts) - w) }, blend(value, alpha))
}

// lineAdd draws a polyline of half-width w, adding delta.
func (c *canvas) lineAdd(pts [][2]float64, w, delta float64, mask func(u, v float64) float64) {
	u0, v0, u1, v1 := bounds(pts, w+3*c.edge)
	c.paint(u0, v0, u1, v1, func(u, v float64) float64 {
		a := c.cover(polyDist(u, v, pts) - w)
		if a > 0 && mask != nil {
			a *= mask(u, v)
		}
		return a
	}, add(delta))
}

// curveAdd is lineAdd for a polyline monotonic in u (ribs): each pixel only
// measures the segments around its column.
func (c *canvas) curveAdd(pts [][2]float64, w, delta float64) {
	if pts[0][0] > pts[len(pts)-1][0] {
		rev := make([][2]float64, len(pts))
		for i, p := range pts {
			rev[len(pts)-1-i] = p
		}
		pts = rev
	}
	u0, v0, u1, v1 := bounds(pts, w+3*c.edge)
	last := len(pts) - 2
	c.paint(u0, v0, u1, v1, func(u, v float64) float64 {
		k := 0
		for k < last && pts[k+1][0] < u {
			k++
		}
		d := math.Inf(1)
		for i := max(0, k-1); i <= min(last, k+1); i++ {
			d = min(d, segDist2(u, v, pts[i][0], pts[i][1], pts[i+1][0], pts[i+1][1]))
		}
		return c.cover(math.Sqrt(d) - w)
	}, add(delta))
}

// ellipse fills a rotated ellipse, blending towards value.
func (c *canvas) ellipse(cx, cy, rx, ry, rot, value, alpha float64) {
	r := max(rx, ry) + 3*c.edge
	c.paint(cx-r, cy-r, cx+r, cy+r, func(u, v float64) float64 { return c.cover(ellipseSD(u, v, cx, cy, rx, ry, rot)) }, blend(value, alpha))
}
