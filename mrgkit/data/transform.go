package data

import (
	"math/rand/v2"

	"github.com/pkg/errors"
)

// ImageNet normalisation constants (R2Gen, PromptMRG), per RGB channel.
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// Transform is the image pipeline of METHOD.md: resize the shorter side to
// Resize (aspect kept), crop Crop x Crop (random when Train, centre
// otherwise; Crop 0 means Resize), rotate by a uniform angle in
// ±RotateDeg when Train, then ImageNet-normalise the grey value replicated
// on Channels (3) channels, or with the mean of the three means/stds (1).
type Transform struct {
	Resize, Crop int
	Train        bool
	RotateDeg    float64
	Channels     int // 1 or 3; 0 means 3
}

// TrainTransform returns METHOD.md's training transform for an image size
// (crop) with resize = crop*256/224: 224 → 256, 112 → 128.
func TrainTransform(crop int) Transform {
	return Transform{Resize: (crop*256 + 223) / 224, Crop: crop, Train: true, RotateDeg: 5, Channels: 3}
}

// EvalTransform is TrainTransform without randomness (centre crop, no rotation).
func EvalTransform(crop int) Transform {
	t := TrainTransform(crop)
	t.Train, t.RotateDeg = false, 0
	return t
}

// Size is the output side length.
func (t Transform) Size() int {
	if t.Crop > 0 {
		return t.Crop
	}
	return t.Resize
}

// NumChannels is Channels with the default applied.
func (t Transform) NumChannels() int {
	if t.Channels == 0 {
		return 3
	}
	return t.Channels
}

// Validate checks the configuration.
func (t Transform) Validate() error {
	switch {
	case t.Resize <= 0:
		return errors.Errorf("transform: Resize must be > 0, got %d", t.Resize)
	case t.Crop < 0 || t.Crop > t.Resize:
		return errors.Errorf("transform: Crop must be in [0, Resize=%d], got %d", t.Resize, t.Crop)
	case t.Channels != 0 && t.Channels != 1 && t.Channels != 3:
		return errors.Errorf("transform: Channels must be 1 or 3, got %d", t.Channels)
	case t.RotateDeg < 0 || t.RotateDeg > 180:
		return errors.Errorf("transform: RotateDeg must be in [0, 180], got %g", t.RotateDeg)
	}
	return nil
}

// Resized is the deterministic first step: the shorter side resized to Resize.
func (t Transform) Resized(img *Plane) *Plane {
	w, h := t.Resize, t.Resize
	if img.W > img.H {
		w = max(1, (img.W*t.Resize+img.H/2)/img.H)
	} else if img.H > img.W {
		h = max(1, (img.H*t.Resize+img.W/2)/img.W)
	}
	return Resize(img, w, h)
}

// Augment crops, rotates and normalises an image already passed through
// Resized, writing Size()*Size()*NumChannels() HWC floats into dst (allocated when nil).
// rng is used only when Train.
func (t Transform) Augment(resized *Plane, rng *rand.Rand, dst []float32) ([]float32, error) {
	s := t.Size()
	if resized.W < s || resized.H < s {
		return nil, errors.Errorf("transform: image %dx%d smaller than crop %d", resized.W, resized.H, s)
	}
	x0, y0 := (resized.W-s)/2, (resized.H-s)/2
	if t.Train {
		if rng == nil {
			return nil, errors.New("transform: Train needs a random generator")
		}
		x0, y0 = rng.IntN(resized.W-s+1), rng.IntN(resized.H-s+1)
	}
	p := Crop(resized, x0, y0, s, s)
	if t.Train && t.RotateDeg > 0 {
		p = Rotate(p, (rng.Float64()*2-1)*t.RotateDeg)
	}
	c := t.NumChannels()
	if dst == nil {
		dst = make([]float32, s*s*c)
	}
	if len(dst) != s*s*c {
		return nil, errors.Errorf("transform: destination has %d floats, want %d", len(dst), s*s*c)
	}
	if c == 1 {
		mean := (ImageNetMean[0] + ImageNetMean[1] + ImageNetMean[2]) / 3
		std := (ImageNetStd[0] + ImageNetStd[1] + ImageNetStd[2]) / 3
		for i, v := range p.Pix {
			dst[i] = (v - mean) / std
		}
		return dst, nil
	}
	for i, v := range p.Pix {
		for k := range 3 {
			dst[3*i+k] = (v - ImageNetMean[k]) / ImageNetStd[k]
		}
	}
	return dst, nil
}

// Apply runs the whole transform: Resized then Augment. It returns HWC floats.
func (t Transform) Apply(img *Plane, rng *rand.Rand) ([]float32, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H {
		return nil, errors.New("transform: empty or inconsistent image plane")
	}
	return t.Augment(t.Resized(img), rng, nil)
}
