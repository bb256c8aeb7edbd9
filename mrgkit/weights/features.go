package weights

import (
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
		img, err := data.DecodeImage(p)
		if err != nil {
			return nil, err
		}
		x, err := tr.Apply(img, nil)
		if err != nil {
			return nil, errors.Wrapf(err, "%s", p)
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
