package weights

import (
	"bytes"
	"image"
	"image/color"
	"os"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/pkg/errors"
)

// FeatureResult is what `mrg weights features` prints.
type FeatureResult struct {
	// Global is the encoder's pooled feature vector [VisualDim] (the mean of
	// the patch features over the grid, averaged over the views); for a
	// torchvision ResNet and one image, torchvision's avgpool output.
	Global []float32 `json:"global"`
	// PatchesShape is the shape of the patch features [1, views*h*w, VisualDim].
	PatchesShape []int `json:"patches_shape"`
}

// Features loads the encoder of the GoMLX checkpoint in dir (written by
// Import, or any run's checkpoint), applies the kit's evaluation transform
// (resize to image_resize, centre crop image_size, ImageNet normalisation)
// to one study's images (one or two views), and returns the encoder's
// features in inference mode. be nil means backend.Shared().
func Features(be compute.Backend, dir string, images []string) (res *FeatureResult, err error) {
	if len(images) < 1 || len(images) > 2 {
		return nil, errors.Errorf("give one or two -image (the views of one study), got %d", len(images))
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, errors.Errorf("-ckpt %s: not a checkpoint directory", dir)
	}
	defer func() {
		if r := recover(); r != nil {
			err = backend.WrapErr(errors.Errorf("computing features with %s: %v", dir, r))
		}
	}()
	store := model.NewStore()
	if _, err := checkpoint.Load(store).Dir(dir).Immediate().Done(); err != nil {
		return nil, errors.Wrapf(err, "reading checkpoint %s", dir)
	}
	store.SetLoader(nil)
	c := mrgmodel.ReadConfig(store)
	c.Views = len(images)
	tr := data.Transform{Resize: c.ImageResize, Crop: c.ImageSize, Channels: c.Channels}
	s, ch := tr.Size(), tr.NumChannels()
	flat := make([]float32, 0, len(images)*s*s*ch)
	for _, p := range images {
		x, err := studyImage(p, tr)
		if err != nil {
			return nil, err
		}
		flat = append(flat, x...)
	}
	if be == nil {
		if be, err = backend.Shared(); err != nil {
			return nil, err
		}
	}
	exec, err := model.NewExec(be, store, func(scope *model.Scope, x *Node) []*Node {
		ms := scope.Store().RootScope().In(mrgmodel.ScopeName)
		patches, global := mrgmodel.EncodeImages(ms.In("encoder"), c, x)
		return []*Node{global, patches}
	})
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	in := tensors.FromFlatDataAndDimensions(flat, 1, len(images), s, s, ch)
	outs, err := exec.Exec(in)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	defer func() {
		for _, t := range outs {
			_ = t.FinalizeAll()
		}
	}()
	res = &FeatureResult{PatchesShape: outs[1].Shape().Dimensions}
	res.Global = append([]float32(nil), tensors.MustCopyFlatData[float32](outs[0])...)
	return res, nil
}

// studyImage returns one image after the evaluation transform, HWC floats.
// Grey images (and RGB ones with equal channels, as radiographs are) go
// through the kit's data.Transform exactly as in evaluation; a colour image
// keeps its three channels, each resized, cropped and normalised the same
// way, as torchvision sees it.
func studyImage(path string, tr data.Transform) ([]float32, error) {
	grey, err := data.DecodeImage(path)
	if err != nil {
		return nil, err
	}
	rgb := colourPlanes(path)
	if rgb == nil || tr.NumChannels() != 3 {
		x, err := tr.Apply(grey, nil)
		return x, errors.Wrapf(err, "%s", path)
	}
	s := tr.Size()
	out := make([]float32, s*s*3)
	for k, p := range rgb {
		r := tr.Resized(p)
		if r.W < s || r.H < s {
			return nil, errors.Errorf("%s: image %dx%d smaller than crop %d", path, r.W, r.H, s)
		}
		c := data.Crop(r, (r.W-s)/2, (r.H-s)/2, s, s)
		for i, v := range c.Pix {
			out[3*i+k] = (v - data.ImageNetMean[k]) / data.ImageNetStd[k]
		}
	}
	return out, nil
}

// colourPlanes returns the R, G and B planes in [0, 1] of a colour image, or
// nil when every pixel is grey (or the file does not decode).
func colourPlanes(path string) []*data.Plane {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		return nil
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	planes := make([]*data.Plane, 3)
	for k := range planes {
		planes[k] = &data.Plane{W: w, H: h, Pix: make([]float32, w*h)}
	}
	colour := false
	for y := range h {
		for x := range w {
			c := color.NRGBA64Model.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA64)
			colour = colour || c.R != c.G || c.G != c.B
			i := y*w + x
			planes[0].Pix[i] = float32(c.R) / 65535
			planes[1].Pix[i] = float32(c.G) / 65535
			planes[2].Pix[i] = float32(c.B) / 65535
		}
	}
	if !colour {
		return nil
	}
	return planes
}
