package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeImageFormats(t *testing.T) {
	// A 3x2 image whose grey values are known: v(x,y) = (x + 3y) * 40 (8-bit).
	want := func(x, y int) float32 { return float32((x+3*y)*40) / 255 }
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	gray16 := image.NewGray16(image.Rect(0, 0, 3, 2))
	rgb := image.NewRGBA(image.Rect(0, 0, 3, 2))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	rgb64 := image.NewRGBA64(image.Rect(0, 0, 3, 2))
	pal := make(color.Palette, 6)
	for i := range pal {
		pal[i] = color.RGBA{uint8(i * 40), uint8(i * 40), uint8(i * 40), 255}
	}
	paletted := image.NewPaletted(image.Rect(0, 0, 3, 2), pal)
	for y := range 2 {
		for x := range 3 {
			v := uint8((x + 3*y) * 40)
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(v) * 257})
			rgb.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, v, v, 128}) // alpha ignored, like PIL convert("RGB")
			rgb64.SetRGBA64(x, y, color.RGBA64{uint16(v) * 257, uint16(v) * 257, uint16(v) * 257, 65535})
			paletted.SetColorIndex(x, y, uint8(x+3*y))
		}
	}
	cases := map[string]image.Image{"gray8": gray, "gray16": gray16, "rgb": rgb, "nrgba": nrgba, "rgba64": rgb64, "paletted": paletted}
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := DecodeImageBytes(name+".png", encodePNG(t, img))
			if err != nil {
				t.Fatal(err)
			}
			if p.W != 3 || p.H != 2 {
				t.Fatalf("size %dx%d", p.W, p.H)
			}
			for y := range 2 {
				for x := range 3 {
					if d := math.Abs(float64(p.At(x, y) - want(x, y))); d > 1e-3 {
						t.Errorf("(%d,%d) = %g, want %g", x, y, p.At(x, y), want(x, y))
					}
				}
			}
		})
	}
	// Sub-images start at their own origin.
	for name, img := range map[string]image.Image{"gray": gray, "gray16": gray16, "rgb": rgb, "nrgba": nrgba, "rgba64": rgb64} {
		sub := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(1, 1, 3, 2))
		p := ToPlane(sub)
		if p.W != 2 || p.H != 1 || math.Abs(float64(p.Pix[0]-want(1, 1))) > 1e-3 || math.Abs(float64(p.Pix[1]-want(2, 1))) > 1e-3 {
			t.Errorf("%s sub-image plane %+v, want [%g %g]", name, p, want(1, 1), want(2, 1))
		}
	}
	// Pure colours use ITU-R 601 luma.
	red := image.NewRGBA(image.Rect(0, 0, 1, 1))
	red.SetRGBA(0, 0, color.RGBA{255, 0, 0, 255})
	p, err := DecodeImageBytes("red.png", encodePNG(t, red))
	if err != nil || math.Abs(float64(p.Pix[0])-0.299) > 1e-4 {
		t.Errorf("red luma = %v (%v), want 0.299", p, err)
	}
	// JPEG, grey and colour: lossy, so compare a flat image.
	for _, img := range []image.Image{image.NewGray(image.Rect(0, 0, 16, 16)), image.NewRGBA(image.Rect(0, 0, 16, 16))} {
		switch m := img.(type) {
		case *image.Gray:
			for i := range m.Pix {
				m.Pix[i] = 100
			}
		case *image.RGBA:
			for i := range m.Pix {
				m.Pix[i] = 100
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		p, err := DecodeImageBytes("x.jpg", b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(float64(p.At(8, 8)) - 100.0/255); d > 0.01 {
			t.Errorf("jpeg %T centre %g, want %g", img, p.At(8, 8), 100.0/255)
		}
	}
}

func TestDecodeImageErrors(t *testing.T) {
	dir := t.TempDir()
	good := encodePNG(t, image.NewGray(image.Rect(0, 0, 8, 8)))
	files := map[string][]byte{
		"empty.png":     {},
		"corrupt.png":   []byte("this is not an image at all"),
		"truncated.png": good[:len(good)/2],
		"zero.png":      zeroSizePNG(t),
		"text.jpg":      []byte("\xff\xd8\xff garbage"),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeImage(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v does not name the file", name, err)
		}
	}
	if _, err := DecodeImage(filepath.Join(dir, "absent.png")); err == nil || !strings.Contains(err.Error(), "absent.png") {
		t.Errorf("missing file: %v", err)
	}
}

// zeroSizePNG is a valid 1x1 PNG whose header is patched to 0x1.
func zeroSizePNG(t testing.TB) []byte {
	b := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// Signature (8) + length (4) + "IHDR" (4), then width (4), ..., CRC after 13 data bytes.
	binary.BigEndian.PutUint32(b[16:20], 0)
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestResizePinned(t *testing.T) {
	// 4 -> 2 columns: PIL's bilinear weights for the first output pixel are
	// 0.75, 0.75, 0.25 (normalised by 1.75) over input columns 0..2.
	p := &Plane{W: 4, H: 1, Pix: []float32{0, 1, 2, 3}}
	r := Resize(p, 2, 1)
	want := []float32{1.25 / 1.75, (0.25*1 + 0.75*2 + 0.75*3) / 1.75}
	for i := range want {
		if math.Abs(float64(r.Pix[i]-want[i])) > 1e-6 {
			t.Errorf("Resize pix %d = %g, want %g", i, r.Pix[i], want[i])
		}
	}
	// Constant images stay constant, up or down.
	c := &Plane{W: 7, H: 5, Pix: make([]float32, 35)}
	for i := range c.Pix {
		c.Pix[i] = 0.3
	}
	for _, sz := range [][2]int{{3, 2}, {14, 10}, {5, 9}} {
		r := Resize(c, sz[0], sz[1])
		for _, v := range r.Pix {
			if math.Abs(float64(v)-0.3) > 1e-5 {
				t.Fatalf("constant resized to %v has %g", sz, v)
			}
		}
	}
}

func TestRotatePinned(t *testing.T) {
	p := &Plane{W: 3, H: 3, Pix: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	r := Rotate(p, 90) // counter-clockwise: the top row becomes the left column, reversed
	want := []float32{3, 6, 9, 2, 5, 8, 1, 4, 7}
	for i := range want {
		if math.Abs(float64(r.Pix[i]-want[i])) > 1e-4 {
			t.Fatalf("Rotate 90 = %v, want %v", r.Pix, want)
		}
	}
	// 45 degrees leaves the corners uncovered (fill 0) and the centre unchanged.
	big := &Plane{W: 9, H: 9, Pix: make([]float32, 81)}
	for i := range big.Pix {
		big.Pix[i] = 1
	}
	r = Rotate(big, 45)
	if r.At(0, 0) != 0 || r.At(4, 4) != 1 {
		t.Errorf("rotated corner %g centre %g", r.At(0, 0), r.At(4, 4))
	}
}

func TestTransform(t *testing.T) {
	// 10x8 ramp image: value = x/10.
	img := &Plane{W: 10, H: 8, Pix: make([]float32, 80)}
	for y := range 8 {
		for x := range 10 {
			img.Pix[y*10+x] = float32(x) / 10
		}
	}
	mean1, std1 := float32(0.449), float32(0.226)
	t.Run("eval one channel shapes and normalisation", func(t *testing.T) {
		tr := Transform{Resize: 8, Crop: 6, Channels: 1}
		out, err := tr.Apply(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 36 {
			t.Fatalf("len %d", len(out))
		}
		// Shorter side already 8: no resampling; centre crop starts at x=2, y=1.
		if got, want := out[0], (0.2-mean1)/std1; math.Abs(float64(got-want)) > 1e-5 {
			t.Errorf("out[0] = %g, want %g", got, want)
		}
	})
	t.Run("three channels use ImageNet mean/std per channel", func(t *testing.T) {
		flat := &Plane{W: 4, H: 4, Pix: []float32{.5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5}}
		out, err := Transform{Resize: 4, Channels: 3}.Apply(flat, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{(0.5 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0.5 - 0.406) / 0.225}
		for k := range 3 {
			if math.Abs(float64(out[k]-want[k])) > 1e-5 || math.Abs(float64(out[45+k]-want[k])) > 1e-5 {
				t.Errorf("channel %d = %g, want %g", k, out[k], want[k])
			}
		}
	})
	t.Run("train is random but reproducible", func(t *testing.T) {
		tr := Transform{Resize: 16, Crop: 12, Train: true, RotateDeg: 5, Channels: 1}
		a, _ := tr.Apply(img, rand.New(rand.NewPCG(1, 2)))
		b, _ := tr.Apply(img, rand.New(rand.NewPCG(1, 2)))
		c, _ := tr.Apply(img, rand.New(rand.NewPCG(3, 4)))
		if !equalF(a, b) {
			t.Error("same rng gave different outputs")
		}
		if equalF(a, c) {
			t.Error("different rngs gave identical outputs")
		}
		if _, err := tr.Apply(img, nil); err == nil {
			t.Error("train without rng succeeded")
		}
	})
	t.Run("aspect kept", func(t *testing.T) {
		r := Transform{Resize: 4}.Resized(img)
		if r.W != 5 || r.H != 4 {
			t.Errorf("resized %dx%d, want 5x4", r.W, r.H)
		}
	})
	for _, bad := range []Transform{{Resize: 0}, {Resize: 8, Crop: 9}, {Resize: 8, Channels: 2}, {Resize: 8, RotateDeg: -1}} {
		if _, err := bad.Apply(img, nil); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := (Transform{Resize: 8}).Apply(&Plane{}, nil); err == nil {
		t.Error("empty plane: no error")
	}
	if tr := TrainTransform(224); tr.Resize != 256 || !tr.Train || tr.RotateDeg != 5 {
		t.Errorf("TrainTransform(224) = %+v", tr)
	}
	if tr := EvalTransform(112); tr.Resize != 128 || tr.Crop != 112 || tr.Train {
		t.Errorf("EvalTransform(112) = %+v", tr)
	}
}

func equalF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bombPNG is a gray PNG that declares w x h pixels and holds valid deflate
// data for its first rows only: decoding it allocates the whole image first.
func bombPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		buf.Write(n[:])
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		binary.BigEndian.PutUint32(n[:], c.Sum32())
		buf.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:4], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:8], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 8*(w+1))) // 8 rows of zeros
	_ = zw.Flush()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

// TestImageLimitsBeforeDecoding: a small file declaring a huge image is
// refused from its header, before any pixel memory is allocated; files over
// the size limit and non-regular files are refused before being read.
func TestImageLimitsBeforeDecoding(t *testing.T) {
	b := bombPNG(t, 20000, 20000)
	if len(b) > 10000 {
		t.Fatalf("bomb is %d bytes", len(b))
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, err := DecodeImageBytes("bomb.png", b)
	runtime.ReadMemStats(&m1)
	if err == nil || !strings.Contains(err.Error(), "bomb.png: png image is 20000x20000 = 400000000 pixels, over the limit of 50000000") {
		t.Errorf("bomb: %v", err)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 10<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", alloc)
	}

	old := Limits
	defer func() { Limits = old }()
	Limits.MaxPixels = 100 * 100
	if _, err := DecodeImageBytes("big.png", encodePNG(t, image.NewGray(image.Rect(0, 0, 101, 100)))); err == nil || !strings.Contains(err.Error(), "over the limit of 10000") {
		t.Errorf("101x100 with a 100x100 limit: %v", err)
	}
	if _, err := DecodeImageBytes("ok.png", encodePNG(t, image.NewGray(image.Rect(0, 0, 100, 100)))); err != nil {
		t.Errorf("100x100 with a 100x100 limit: %v", err)
	}

	Limits = old
	Limits.MaxBytes = 100
	p := filepath.Join(t.TempDir(), "large.png")
	if err := os.WriteFile(p, make([]byte, 101), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeImage(p); err == nil || !strings.Contains(err.Error(), "101 bytes, over the limit of 100") {
		t.Errorf("101-byte file with a 100-byte limit: %v", err)
	}
	Limits = old
	done := make(chan error, 1)
	go func() { _, err := DecodeImage("/dev/zero"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "/dev/zero: not a regular file") {
			t.Errorf("/dev/zero: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("DecodeImage(/dev/zero) still reading after 5 s")
	}
}
