package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/pkg/errors"
)

// Summary describes a finished import.
type Summary struct {
	Format    string // FormatPTH or FormatSafetensors
	Depth     int
	Variables int // kit variables written
	Ignored   int // state-dict entries left out (fc.*, num_batches_tracked)
}

// Import converts the torchvision (or timm) ResNet state dict in file in
// (.pth or .safetensors) for arch ("resnet50", ...) into a GoMLX checkpoint
// directory out, holding the encoder's variables under EncoderScope and the
// `paper` preset's hyperparameters with enc_depth set. out must not exist or
// be empty; on any error nothing is left in it.
func Import(arch, in, out string) (*Summary, error) {
	depth, err := ParseArch(arch)
	if err != nil {
		return nil, err
	}
	if out == "" {
		return nil, errors.New("-out is required")
	}
	outExisted := false
	if st, err := os.Stat(out); err == nil {
		if !st.IsDir() {
			return nil, errors.Errorf("-out %s exists and is not a directory", out)
		}
		entries, err := os.ReadDir(out)
		if err != nil {
			return nil, errors.Wrapf(err, "-out %s", out)
		}
		if len(entries) > 0 {
			return nil, errors.Errorf("-out %s exists and is not empty (choose a new directory)", out)
		}
		outExisted = true
	}
	tens, format, err := ReadStateDict(in)
	if err != nil {
		return nil, err
	}
	store, sum, err := toStore(tens, depth, in, arch)
	if err != nil {
		return nil, err
	}
	sum.Format = format
	if err := writeCheckpoint(store, out, outExisted); err != nil {
		return nil, err
	}
	return sum, nil
}

// toStore maps the state dict onto the kit's variables of a torchvision
// ResNet of the given depth, checking every name and shape.
func toStore(tens []Tensor, depth int, in, arch string) (*model.Store, *Summary, error) {
	params, err := ResNetParams(depth)
	if err != nil {
		return nil, nil, err
	}
	// DataParallel checkpoints prefix every name with "module.".
	allPrefixed := len(tens) > 0
	for _, t := range tens {
		allPrefixed = allPrefixed && strings.HasPrefix(t.Name, "module.")
	}
	byName := make(map[string]Tensor, len(tens))
	for _, t := range tens {
		if allPrefixed {
			t.Name = strings.TrimPrefix(t.Name, "module.")
		}
		byName[t.Name] = t
	}
	store := model.NewStore()
	if err := mrgmodel.Configure(store, "paper", fmt.Sprintf("%s=%d", mrgmodel.ParamEncDepth, depth)); err != nil {
		return nil, nil, err
	}
	used := make(map[string]bool, len(params))
	for _, p := range params {
		t, ok := byName[p.Torch]
		if !ok {
			return nil, nil, errors.Errorf("%s: missing parameter %s %v of %s (a state dict of another architecture or depth?)", in, p.Torch, p.TorchShape, arch)
		}
		if t.Int || !slices.Equal(t.Shape, p.TorchShape) {
			return nil, nil, errors.Errorf("%s: parameter %s has shape %v, %s expects %v (a state dict of another architecture or depth?)", in, p.Torch, t.Shape, arch, p.TorchShape)
		}
		used[p.Torch] = true
		data := t.Data
		if p.IsConv() {
			data = ohwiToHWIO(t.Data, p.TorchShape)
		}
		v := tensors.FromFlatDataAndDimensions(data, p.KitShape()...)
		if _, err := store.Scope(p.Scope).CreateVariable(p.Var, v); err != nil {
			return nil, nil, errors.Wrapf(err, "creating %s/%s", p.Scope, p.Var)
		}
	}
	sum := &Summary{Depth: depth, Variables: len(params)}
	for _, t := range tens {
		if used[t.Name] {
			continue
		}
		if ignored(t.Name) {
			sum.Ignored++
			continue
		}
		return nil, nil, errors.Errorf("%s: unexpected parameter %s %v, not part of %s (a state dict of another architecture or depth?)", in, t.Name, t.Shape, arch)
	}
	return store, sum, nil
}

// ohwiToHWIO transposes a PyTorch kernel [out, in, kh, kw] to GoMLX's
// channels-last [kh, kw, in, out].
func ohwiToHWIO(src []float32, s []int) []float32 {
	o, i, kh, kw := s[0], s[1], s[2], s[3]
	dst := make([]float32, len(src))
	for a := range o {
		for b := range i {
			for y := range kh {
				for x := range kw {
					dst[((y*kw+x)*i+b)*o+a] = src[((a*i+b)*kh+y)*kw+x]
				}
			}
		}
	}
	return dst
}

// writeCheckpoint saves the store as a GoMLX checkpoint in a temporary
// sibling of out, then renames it into place, so that out is complete or
// absent.
func writeCheckpoint(store *model.Store, out string, outExisted bool) error {
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return errors.Wrapf(err, "creating %s", parent)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return errors.Wrapf(err, "creating a temporary directory in %s", parent)
	}
	defer os.RemoveAll(tmp)
	h, err := checkpoint.Build(store).Dir(tmp).Keep(1).Done()
	if err != nil {
		return errors.Wrapf(err, "preparing checkpoint in %s", tmp)
	}
	if err := h.Save(); err != nil {
		return errors.Wrapf(err, "writing checkpoint into %s", tmp)
	}
	if outExisted {
		if err := os.Remove(out); err != nil { // empty, checked by Import
			return errors.Wrapf(err, "replacing empty %s", out)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return errors.Wrapf(err, "installing checkpoint %s", out)
	}
	return nil
}
