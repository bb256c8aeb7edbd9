package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"strings"
	"testing"
)

// FuzzDecodeImage: any bytes give a plane or an error naming the input,
// never a panic, and never a plane over the pixel limit.
// go test -run '^$' -fuzz FuzzDecodeImage -fuzztime 60s ./mrgkit/data
func FuzzDecodeImage(f *testing.F) {
	gray := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 17)
	}
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	rgba.Set(1, 1, color.NRGBA{200, 10, 10, 128})
	f.Add(encodePNG(f, gray))
	f.Add(encodePNG(f, rgba))
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, gray, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(jb.Bytes())
	f.Add(bombPNG(f, 3000, 3000))
	f.Add(zeroSizePNG(f))
	f.Add([]byte("\xff\xd8\xff"))
	old := Limits
	defer func() { Limits = old }()
	Limits.MaxPixels = 1 << 20 // keep each exec cheap
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeImageBytes("in.img", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "in.img: ") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if p.W <= 0 || p.H <= 0 || len(p.Pix) != p.W*p.H || int64(p.W*p.H) > Limits.MaxPixels {
			t.Fatalf("plane %dx%d with %d values", p.W, p.H, len(p.Pix))
		}
		for _, v := range p.Pix {
			if !(v >= 0 && v <= 1) || math.IsNaN(float64(v)) {
				t.Fatalf("pixel value %v outside [0,1]", v)
			}
		}
	})
}

// FuzzParseAnnotation: any bytes give a valid annotation or an error naming
// the file, never a panic.
// go test -run '^$' -fuzz FuzzParseAnnotation -fuzztime 60s ./mrgkit/data
func FuzzParseAnnotation(f *testing.F) {
	f.Add([]byte(`{"train":[{"id":"a","report":"The heart is normal.","image_path":["a/0.png","a/1.png"]}],"val":[],"test":[]}`))
	f.Add([]byte(`{"train":[{"id":"a","report":"x","image_path":["p"],"labels":[1,0,-1,null,1,0,-1,null,1,0,-1,null,1,0]}],"val":[{"id":"a","report":"y","image_path":["q"]}],"test":[]}`))
	f.Add([]byte(`{"train":null,"val":[],"test":[]}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte("{\"train\":[\xff]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAnnotation("ann.json", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ann.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range a.All() {
			if e.ID == "" || strings.TrimSpace(e.Report) == "" || len(e.ImagePaths) == 0 || seen[e.ID] {
				t.Fatalf("accepted an invalid entry %+v", e)
			}
			seen[e.ID] = true
		}
	})
}
