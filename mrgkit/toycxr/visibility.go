package toycxr

import (
	"fmt"
	"image"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
)

// Visibility is how well one crude, hand-made pixel feature per drawn
// observation separates positive studies from negative and blank ones, on
// images passed through the model's eval transform (resize, centre crop).
// The features know where on the radiograph each finding is drawn (the
// anatomy, not the study's own geometry) but not the labels: an AUC near 1
// means the finding is plainly visible at that input size, 0.5 not at all.
type Visibility struct {
	Resize, Crop int
	Pos, Neg     [chexpert.NumObservations]int     // positive and negative+blank studies
	AUC          [chexpert.NumObservations]float64 // NaN where the observation is not drawn or a class is empty
}

// Drawn reports whether observation o appears in the images (Pneumonia and
// No Finding are report-level statements only).
func Drawn(o int) bool { return o != chexpert.Pneumonia && o != chexpert.NoFinding }

// view is an image after the eval transform, addressed in the unit
// coordinates of the generated image (where the generator draws).
type view struct {
	n       int
	pix     []float64
	sum     []float64 // integral image, (n+1)^2
	scale   float64   // unit -> crop pixels
	off     float64   // crop pixel offset
	present bool
}

func newView(img *image.Gray, t data.Transform) view {
	if img == nil {
		return view{}
	}
	p := data.ToPlane(img)
	r := t.Resized(p)
	s := t.Size()
	x0, y0 := (r.W-s)/2, (r.H-s)/2
	c := data.Crop(r, x0, y0, s, s)
	v := view{n: s, pix: make([]float64, s*s), sum: make([]float64, (s+1)*(s+1)), scale: float64(r.W), off: float64(x0), present: true}
	for y := range s {
		row := 0.0
		for x := range s {
			v.pix[y*s+x] = float64(c.Pix[y*s+x])
			row += v.pix[y*s+x]
			v.sum[(y+1)*(s+1)+x+1] = v.sum[y*(s+1)+x+1] + row
		}
	}
	return v
}

// px maps a unit coordinate to a crop pixel index (clamped).
func (v view) px(u float64) int {
	return min(v.n-1, max(0, int(math.Floor(u*v.scale-v.off))))
}

// rect is the mean over pixels [x0,x1)x[y0,y1) (clamped; at least one pixel).
func (v view) rect(x0, y0, x1, y1 int) float64 {
	x0, y0 = min(v.n-1, max(0, x0)), min(v.n-1, max(0, y0))
	x1, y1 = min(v.n, max(x0+1, x1)), min(v.n, max(y0+1, y1))
	w := v.n + 1
	s := v.sum[y1*w+x1] - v.sum[y0*w+x1] - v.sum[y1*w+x0] + v.sum[y0*w+x0]
	return s / float64((x1-x0)*(y1-y0))
}

// box is the mean over the unit box [u0,u1]x[v0,v1].
func (v view) box(u0, v0, u1, v1 float64) float64 {
	return v.rect(v.px(u0), v.px(v0), v.px(u1)+1, v.px(v1)+1)
}

// blob is the largest centre-minus-surround contrast of a (2r+1)-pixel
// square against the ring out to 2r+1+2g pixels, over centres in the unit box.
func (v view) blob(u0, v0, u1, v1 float64, r, g int) float64 {
	best := math.Inf(-1)
	for y := v.px(v0); y <= v.px(v1); y++ {
		for x := v.px(u0); x <= v.px(u1); x++ {
			in := v.rect(x-r, y-r, x+r+1, y+r+1)
			ni := float64((2*r + 1) * (2*r + 1))
			R := r + g
			out := v.rect(x-R, y-R, x+R+1, y+R+1)
			no := float64((2*R + 1) * (2*R + 1))
			ring := (out*no - in*ni) / (no - ni)
			best = max(best, in-ring)
		}
	}
	return best
}

// blobs is blob at the scales of nodules and masses.
func (v view) blobs(u0, v0, u1, v1 float64) float64 {
	return max(v.blob(u0, v0, u1, v1, 2, 2), v.blob(u0, v0, u1, v1, 3, 3))
}

// cols is the largest (sign 1) or smallest (sign -1) column mean in the unit box.
func (v view) cols(u0, v0, u1, v1, sign float64) float64 {
	best := math.Inf(-1)
	y0, y1 := v.px(v0), v.px(v1)+1
	for x := v.px(u0); x <= v.px(u1); x++ {
		best = max(best, sign*v.rect(x, y0, x+1, y1))
	}
	return sign * best
}

// metal counts bright pixels standing out from their surround: wires,
// tubes and clips.
func (v view) metal() float64 {
	c := 0.0
	for y := range v.n {
		for x := range v.n {
			if p := v.pix[y*v.n+x]; p >= 0.8 && p-v.rect(x-3, y-3, x+4, y+4) > 0.1 {
				c++
			}
		}
	}
	return c
}

// bright counts pixels at or above th.
func (v view) bright(th float64) float64 {
	c := 0.0
	for _, p := range v.pix {
		if p >= th {
			c++
		}
	}
	return c
}

// lungZones are rough boxes of the lung zones (side, zone) in unit
// coordinates of the frontal view, where zonePoint puts findings (the
// lower ones lateral, clear of the heart).
var lungZones = [2][3][4]float64{
	{{0.22, 0.16, 0.40, 0.30}, {0.30, 0.32, 0.44, 0.45}, {0.18, 0.48, 0.29, 0.58}},
	{{0.60, 0.16, 0.78, 0.30}, {0.56, 0.32, 0.70, 0.45}, {0.71, 0.48, 0.82, 0.58}},
}

// mirror is the box's contralateral twin.
func mirror(b [4]float64) [4]float64 { return [4]float64{1 - b[2], b[1], 1 - b[0], b[3]} }

// asym is the largest brightness excess of a lung zone over its mirror image.
func asym(f view) float64 {
	best := math.Inf(-1)
	for side := range 2 {
		for _, b := range lungZones[side] {
			m := mirror(b)
			best = max(best, f.box(b[0], b[1], b[2], b[3])-f.box(m[0], m[1], m[2], m[3]))
		}
	}
	return best
}

// features are the crude visibility features, one per drawn observation.
// f is the frontal view, l the lateral (absent with one view).
var features = map[int]func(f, l view) float64{
	// The widened upper mediastinum pushes into the paramediastinal lungs;
	// on the lateral view it fills the retrosternal clear space.
	chexpert.EnlargedCardiomediastinum: func(f, l view) float64 {
		s := f.box(0.39, 0.16, 0.435, 0.42) + f.box(0.565, 0.16, 0.61, 0.42) - f.box(0.25, 0.2, 0.33, 0.4) - f.box(0.67, 0.2, 0.75, 0.4)
		if l.present {
			s += l.box(0.27, 0.22, 0.38, 0.38) - l.box(0.45, 0.2, 0.6, 0.35)
		}
		return s
	},
	// The enlarged heart fills the lower left lung (image right).
	chexpert.Cardiomegaly: func(f, _ view) float64 {
		return f.box(0.64, 0.55, 0.78, 0.72) - f.box(0.64, 0.25, 0.78, 0.4)
	},
	// Patchy or dense brightening of one lung zone against the other side.
	chexpert.LungOpacity:   func(f, _ view) float64 { return asym(f) },
	chexpert.Consolidation: func(f, _ view) float64 { return asym(f) },
	// A round dense spot brighter than its surround.
	chexpert.LungLesion: func(f, _ view) float64 {
		return max(f.blobs(0.2, 0.16, 0.42, 0.64), f.blobs(0.58, 0.16, 0.8, 0.64))
	},
	// Perihilar haze brightens the central lungs.
	chexpert.Edema: func(f, _ view) float64 {
		return f.box(0.26, 0.35, 0.4, 0.58) + f.box(0.6, 0.35, 0.74, 0.58) - f.box(0.16, 0.2, 0.24, 0.3) - f.box(0.76, 0.2, 0.84, 0.3)
	},
	// A plate-like band at a lung base brighter than the lung above and below.
	chexpert.Atelectasis: func(f, _ view) float64 {
		best := math.Inf(-1)
		for _, u := range [2][2]float64{{0.24, 0.38}, {0.64, 0.76}} {
			for v := 0.5; v <= 0.66; v += 0.02 {
				band := f.box(u[0], v, u[1], v+0.025)
				best = max(best, band-0.5*(f.box(u[0], v-0.06, u[1], v-0.035)+f.box(u[0], v+0.06, u[1], v+0.085)))
			}
		}
		return best
	},
	// A pneumothorax darkens the apical-lateral rim of one lung (the darkest
	// column there) against the other side's.
	chexpert.Pneumothorax: func(f, _ view) float64 {
		r := f.cols(0.12, 0.14, 0.3, 0.4, -1)
		l := f.cols(0.7, 0.14, 0.88, 0.4, -1)
		return math.Abs(r - l)
	},
	// Effusion whitens the lung bases.
	chexpert.PleuralEffusion: func(f, l view) float64 {
		s := f.box(0.12, 0.6, 0.3, 0.74) + f.box(0.7, 0.6, 0.88, 0.74)
		if l.present {
			s += l.box(0.55, 0.6, 0.8, 0.75)
		}
		return s
	},
	// Pleural thickening: a dense band along the lateral lung edge (the
	// brightest column there) against the other side's.
	chexpert.PleuralOther: func(f, _ view) float64 {
		r := f.cols(0.1, 0.2, 0.27, 0.5, 1)
		l := f.cols(0.73, 0.2, 0.9, 0.5, 1)
		return math.Abs(r - l)
	},
	// A rib fracture's callus: a bright spot over the lateral ribs.
	chexpert.Fracture: func(f, _ view) float64 {
		return max(f.blob(0.22, 0.36, 0.31, 0.6, 1, 3), f.blob(0.69, 0.36, 0.78, 0.6, 1, 3))
	},
	// Metal is the brightest thing in the image.
	chexpert.SupportDevices: func(f, _ view) float64 { return f.metal() },
}

// Features returns the crude visibility feature of each drawn observation
// for one study's images (frontal, then lateral if any) after the eval
// transform t; undrawn observations get 0.
func Features(images []*image.Gray, t data.Transform) ([chexpert.NumObservations]float64, error) {
	var out [chexpert.NumObservations]float64
	if len(images) == 0 || images[0] == nil {
		return out, errors.New("toycxr: visibility needs at least a frontal image")
	}
	if err := t.Validate(); err != nil {
		return out, err
	}
	b := images[0].Bounds()
	if b.Dx() != b.Dy() {
		return out, errors.Errorf("toycxr: visibility needs square images, got %dx%d", b.Dx(), b.Dy())
	}
	f := newView(images[0], t)
	var l view
	if len(images) > 1 {
		l = newView(images[1], t)
	}
	for o, fn := range features {
		out[o] = fn(f, l)
	}
	return out, nil
}

// VisibilityAUC computes the AUC of each drawn observation's feature,
// positive studies against negative and blank ones (uncertain ones left
// out), from per-study labels and Features.
func VisibilityAUC(labels []chexpert.Labels, feats [][chexpert.NumObservations]float64, resize, crop int) *Visibility {
	vis := &Visibility{Resize: resize, Crop: crop}
	for o := range chexpert.NumObservations {
		var pos, neg []float64
		for i, l := range labels {
			switch l[o] {
			case chexpert.Positive:
				pos = append(pos, feats[i][o])
			case chexpert.Negative, chexpert.Blank:
				neg = append(neg, feats[i][o])
			}
		}
		vis.Pos[o], vis.Neg[o] = len(pos), len(neg)
		vis.AUC[o] = math.NaN()
		if Drawn(o) && len(pos) > 0 && len(neg) > 0 {
			vis.AUC[o] = auc(pos, neg)
		}
	}
	return vis
}

// auc is the probability that a positive scores above a negative (ties count half).
func auc(pos, neg []float64) float64 {
	neg = append([]float64(nil), neg...)
	sort.Float64s(neg)
	var s float64
	for _, p := range pos {
		lt := sort.SearchFloat64s(neg, p)
		le := sort.Search(len(neg), func(i int) bool { return neg[i] > p })
		s += float64(lt) + 0.5*float64(le-lt)
	}
	return s / float64(len(pos)*len(neg))
}

// DescribeVisibility reads dir/annotation.json and its images and returns
// the visibility AUCs of all splits together at the eval transform
// resize → centre crop.
func DescribeVisibility(dir string, resize, crop int) (*Visibility, error) {
	t := data.Transform{Resize: resize, Crop: crop, Channels: 1}
	if err := t.Validate(); err != nil {
		return nil, errors.Wrap(err, "toycxr: visibility")
	}
	ann, err := data.LoadAnnotation(data.AnnotationPath(dir))
	if err != nil {
		return nil, err
	}
	entries := ann.All()
	labels := make([]chexpert.Labels, len(entries))
	feats := make([][chexpert.NumObservations]float64, len(entries))
	errs := make([]error, len(entries))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				e := entries[i]
				if e.Labels != nil {
					labels[i] = *e.Labels
				}
				var imgs []*image.Gray
				for _, p := range e.ImagePaths {
					pl, err := data.DecodeImage(filepath.Join(dir, "images", p))
					if err != nil {
						errs[i] = err
						break
					}
					imgs = append(imgs, pl.Gray())
				}
				if errs[i] == nil {
					feats[i], errs[i] = Features(imgs, t)
				}
				if errs[i] != nil {
					errs[i] = errors.Wrapf(errs[i], "toycxr: visibility of study %s", e.ID)
				}
			}
		}()
	}
	for i := range entries {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return VisibilityAUC(labels, feats, resize, crop), nil
}

// cell renders the AUC of one observation ("not drawn" where it is not).
func (v *Visibility) cell(o int) string {
	switch {
	case o == chexpert.NoFinding:
		return ""
	case !Drawn(o):
		return "not drawn"
	case math.IsNaN(v.AUC[o]):
		return "-"
	}
	return fmt.Sprintf("%.2f", v.AUC[o])
}
