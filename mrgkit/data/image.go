package data

import (
	"bytes"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"io"
	"math"
	"os"
	"strings"

	"github.com/pkg/errors"
)

// Plane is a grayscale image with values in [0, 1], row-major.
type Plane struct {
	W, H int
	Pix  []float32 // len W*H
}

// Gray converts the plane to an 8-bit image (values clamped to [0,1]).
func (p *Plane) Gray() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, p.W, p.H))
	for i, v := range p.Pix {
		img.Pix[i] = uint8(min(max(v, 0), 1)*255 + 0.5)
	}
	return img
}

// At returns the pixel at (x, y).
func (p *Plane) At(x, y int) float32 { return p.Pix[y*p.W+x] }

// ImageLimits bound what DecodeImage accepts, checked before any pixel is
// decoded: the file size, then the pixel count its header declares (a small
// compressed file can declare a huge image).
type ImageLimits struct {
	MaxBytes  int64 // largest image file
	MaxPixels int64 // largest width x height
}

// DefaultImageLimits fit the largest radiographs of the public datasets
// (MIMIC-CXR JPEGs are about 3000x3500, DICOM exports 4k x 4k 16-bit) with
// room to spare (7000x7000): an image at the limit takes under 1 GB while decoded.
var DefaultImageLimits = ImageLimits{MaxBytes: 256 << 20, MaxPixels: 50_000_000}

// Limits are the limits DecodeImage and DecodeImageBytes apply (the
// -max-image-mb and -max-image-pixels flags of mrg change them).
var Limits = DefaultImageLimits

// limitHint says how to raise the limits.
const limitHint = "raise the limit with -max-image-mb / -max-image-pixels"

// DecodeImage reads a PNG or JPEG file (8/16-bit gray, RGB(A), paletted)
// into a grayscale plane. Colour is converted with ITU-R 601 luma, as PIL's
// convert("L"); radiographs stored as RGB have equal channels. Errors name
// the file. Only regular files within Limits are read.
func DecodeImage(path string) (*Plane, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "reading image")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Wrap(err, "reading image")
	}
	if !st.Mode().IsRegular() {
		return nil, errors.Errorf("%s: not a regular file (%s): want a PNG or JPEG file", path, st.Mode().Type())
	}
	if st.Size() > Limits.MaxBytes {
		return nil, errors.Errorf("%s: image file is %d bytes, over the limit of %d (%s)", path, st.Size(), Limits.MaxBytes, limitHint)
	}
	// The file may grow while read: never read past the limit.
	b, err := io.ReadAll(io.LimitReader(f, Limits.MaxBytes+1))
	if err != nil {
		return nil, errors.Wrapf(err, "reading image %s", path)
	}
	if int64(len(b)) > Limits.MaxBytes {
		return nil, errors.Errorf("%s: image file is over the limit of %d bytes (%s)", path, Limits.MaxBytes, limitHint)
	}
	return DecodeImageBytes(path, b)
}

// DecodeImageBytes is DecodeImage on bytes; name is used in errors.
func DecodeImageBytes(name string, b []byte) (*Plane, error) {
	if len(b) == 0 {
		return nil, errors.Errorf("%s: empty image file (0 bytes)", name)
	}
	if int64(len(b)) > Limits.MaxBytes {
		return nil, errors.Errorf("%s: image is %d bytes, over the limit of %d (%s)", name, len(b), Limits.MaxBytes, limitHint)
	}
	c, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil && strings.Contains(err.Error(), "non-positive dimension") {
		return nil, errors.Errorf("%s: image has zero size: %v", name, err)
	}
	if err != nil {
		return nil, errors.Errorf("%s: corrupt, truncated or unsupported image (want PNG or JPEG): %v", name, err)
	}
	if c.Width <= 0 || c.Height <= 0 {
		return nil, errors.Errorf("%s: %s image has zero size %dx%d", name, format, c.Width, c.Height)
	}
	if px := int64(c.Width) * int64(c.Height); px > Limits.MaxPixels {
		return nil, errors.Errorf("%s: %s image is %dx%d = %d pixels, over the limit of %d (%s)", name, format, c.Width, c.Height, px, Limits.MaxPixels, limitHint)
	}
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil && strings.Contains(err.Error(), "non-positive dimension") {
		return nil, errors.Errorf("%s: %s image has zero size: %v", name, format, err)
	}
	if err != nil {
		return nil, errors.Errorf("%s: corrupt, truncated or unsupported image (want PNG or JPEG): %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() <= 0 || r.Dy() <= 0 {
		return nil, errors.Errorf("%s: %s image has zero size %dx%d", name, format, r.Dx(), r.Dy())
	}
	return ToPlane(img), nil
}

// ToPlane converts any image to a grayscale plane in [0, 1].
func ToPlane(img image.Image) *Plane {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	p := &Plane{W: w, H: h, Pix: make([]float32, w*h)}
	const inv8, inv16 = 1.0 / 255, 1.0 / 65535
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			row := m.Pix[o : o+w]
			for x, v := range row {
				p.Pix[y*w+x] = float32(v) * inv8
			}
		}
	case *image.Gray16:
		for y := range h {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			row := m.Pix[o : o+2*w]
			for x := range w {
				p.Pix[y*w+x] = float32(uint16(row[2*x])<<8|uint16(row[2*x+1])) * inv16
			}
		}
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				p.Pix[y*w+x] = float32(m.Y[m.YOffset(r.Min.X+x, r.Min.Y+y)]) * inv8
			}
		}
	case *image.RGBA:
		rgb8(p, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 4)
	case *image.NRGBA:
		rgb8(p, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 4)
	default:
		for y := range h {
			for x := range w {
				c := img.At(r.Min.X+x, r.Min.Y+y)
				if n, ok := c.(color.NRGBA64); ok { // keep un-premultiplied values
					p.Pix[y*w+x] = luma(float32(n.R), float32(n.G), float32(n.B)) * inv16
					continue
				}
				n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
				p.Pix[y*w+x] = luma(float32(n.R), float32(n.G), float32(n.B)) * inv16
			}
		}
	}
	return p
}

func rgb8(p *Plane, pix []uint8, stride, bpp int) {
	for y := range p.H {
		row := pix[y*stride:]
		for x := range p.W {
			o := x * bpp
			p.Pix[y*p.W+x] = luma(float32(row[o]), float32(row[o+1]), float32(row[o+2])) / 255
		}
	}
}

func luma(r, g, b float32) float32 { return 0.299*r + 0.587*g + 0.114*b }

// Resize resamples the plane to w x h with an antialiased bilinear (triangle)
// filter, like PIL's BILINEAR resize that torchvision's Resize uses.
func Resize(p *Plane, w, h int) *Plane {
	if w == p.W && h == p.H {
		return &Plane{W: w, H: h, Pix: append([]float32(nil), p.Pix...)}
	}
	// Horizontal pass: p.H rows of w, then vertical pass.
	xs := resampleCoeffs(p.W, w)
	tmp := make([]float32, w*p.H)
	for y := range p.H {
		row := p.Pix[y*p.W : (y+1)*p.W]
		for x, c := range xs {
			var s float32
			for k, wt := range c.w {
				s += row[c.start+k] * wt
			}
			tmp[y*w+x] = s
		}
	}
	ys := resampleCoeffs(p.H, h)
	out := &Plane{W: w, H: h, Pix: make([]float32, w*h)}
	for y, c := range ys {
		dst := out.Pix[y*w : (y+1)*w]
		for k, wt := range c.w {
			src := tmp[(c.start+k)*w : (c.start+k+1)*w]
			for x := range dst {
				dst[x] += src[x] * wt
			}
		}
	}
	return out
}

type coeffs struct {
	start int
	w     []float32
}

// resampleCoeffs follows PIL's precompute_coeffs with the bilinear filter.
func resampleCoeffs(in, out int) []coeffs {
	scale := float64(in) / float64(out)
	filterscale := math.Max(scale, 1)
	support := filterscale
	cs := make([]coeffs, out)
	for xx := range out {
		center := (float64(xx) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), in)
		ws := make([]float32, 0, xmax-xmin)
		var total float64
		wf := make([]float64, 0, xmax-xmin)
		for x := xmin; x < xmax; x++ {
			d := math.Abs((float64(x) - center + 0.5) / filterscale)
			v := 0.0
			if d < 1 {
				v = 1 - d
			}
			wf = append(wf, v)
			total += v
		}
		for _, v := range wf {
			if total > 0 {
				v /= total
			}
			ws = append(ws, float32(v))
		}
		cs[xx] = coeffs{start: xmin, w: ws}
	}
	return cs
}

// Crop returns the size x size window with top-left corner (x0, y0).
func Crop(p *Plane, x0, y0, w, h int) *Plane {
	out := &Plane{W: w, H: h, Pix: make([]float32, w*h)}
	for y := range h {
		copy(out.Pix[y*w:(y+1)*w], p.Pix[(y0+y)*p.W+x0:(y0+y)*p.W+x0+w])
	}
	return out
}

// Rotate rotates the plane by deg degrees (counter-clockwise) about its
// centre with bilinear sampling; uncovered pixels are 0 (torchvision's fill).
func Rotate(p *Plane, deg float64) *Plane {
	if deg == 0 {
		return &Plane{W: p.W, H: p.H, Pix: append([]float32(nil), p.Pix...)}
	}
	out := &Plane{W: p.W, H: p.H, Pix: make([]float32, len(p.Pix))}
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(p.W)/2, float64(p.H)/2
	for y := range p.H {
		dy := float64(y) + 0.5 - cy
		for x := range p.W {
			dx := float64(x) + 0.5 - cx
			// Inverse rotation maps the output pixel to its source.
			sx := cos*dx - sin*dy + cx - 0.5
			sy := sin*dx + cos*dy + cy - 0.5
			out.Pix[y*p.W+x] = bilinear(p, sx, sy)
		}
	}
	return out
}

func bilinear(p *Plane, x, y float64) float32 {
	if x < -0.5 || y < -0.5 || x > float64(p.W)-0.5 || y > float64(p.H)-0.5 {
		return 0
	}
	fx0, fy0 := math.Floor(x), math.Floor(y)
	x0, y0 := int(fx0), int(fy0)
	fx, fy := float32(x-fx0), float32(y-fy0)
	var a, b, c, d float32
	if x0 >= 0 && y0 >= 0 && x0+1 < p.W && y0+1 < p.H { // interior: no clamping
		i := y0*p.W + x0
		a, b, c, d = p.Pix[i], p.Pix[i+1], p.Pix[i+p.W], p.Pix[i+p.W+1]
	} else {
		xa, xb := min(max(x0, 0), p.W-1), min(max(x0+1, 0), p.W-1)
		ya, yb := min(max(y0, 0), p.H-1), min(max(y0+1, 0), p.H-1)
		a, b, c, d = p.Pix[ya*p.W+xa], p.Pix[ya*p.W+xb], p.Pix[yb*p.W+xa], p.Pix[yb*p.W+xb]
	}
	top := a + (b-a)*fx
	bot := c + (d-c)*fx
	return top + (bot-top)*fy
}
