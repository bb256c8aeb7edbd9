package weights

import (
	"fmt"
	"strconv"
	"strings"

	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/pkg/errors"
)

// EncoderScope is the store scope of the encoder's ResNet, under which
// model.TorchvisionResNet names its variables after torchvision's.
const EncoderScope = "/" + mrgmodel.ScopeName + "/encoder/resnet"

// Depths are the torchvision ResNet depths that import.
var Depths = []int{18, 34, 50, 101, 152}

// ParseArch reads "resnetNN" (NN one of Depths) and returns NN.
func ParseArch(arch string) (int, error) {
	s, ok := strings.CutPrefix(strings.ToLower(arch), "resnet")
	d, err := strconv.Atoi(s)
	if ok && err == nil {
		for _, k := range Depths {
			if d == k {
				return d, nil
			}
		}
	}
	return 0, errors.Errorf("-arch %q: want resnet18, resnet34, resnet50, resnet101 or resnet152", arch)
}

// Param is one parameter of a torchvision ResNet state dict and the kit
// variable it becomes.
type Param struct {
	Torch      string // state-dict name, e.g. "layer1.0.conv1.weight"
	TorchShape []int  // its shape in PyTorch ([out, in, k, k] for convolutions)
	Scope      string // kit scope, e.g. EncoderScope+"/layer1/0/conv1"
	Var        string // kit variable name: weights, scale, offset, running_mean, running_var
}

// IsConv reports whether the parameter is a convolution kernel, stored
// [k, k, in, out] in the kit (transposed from PyTorch's [out, in, k, k]).
func (p Param) IsConv() bool { return p.Var == "weights" }

// KitShape is the variable's shape in the kit.
func (p Param) KitShape() []int {
	if p.IsConv() {
		s := p.TorchShape
		return []int{s[2], s[3], s[1], s[0]}
	}
	return p.TorchShape
}

// ResNetParams lists, in torchvision's state-dict order, every parameter of
// torchvision.models.resnetNN except the classifier (fc.*) and the
// num_batches_tracked counters.
func ResNetParams(depth int) ([]Param, error) {
	var blocks []int
	bottleneck := depth >= 50
	switch depth {
	case 18:
		blocks = []int{2, 2, 2, 2}
	case 34, 50:
		blocks = []int{3, 4, 6, 3}
	case 101:
		blocks = []int{3, 4, 23, 3}
	case 152:
		blocks = []int{3, 8, 36, 3}
	default:
		return nil, errors.Errorf("no torchvision ResNet of depth %d", depth)
	}
	var ps []Param
	conv := func(torch, scope string, out, in, k int) {
		ps = append(ps, Param{Torch: torch + ".weight", TorchShape: []int{out, in, k, k}, Scope: EncoderScope + "/" + scope, Var: "weights"})
	}
	bn := func(torch, scope string, ch int) {
		for _, kv := range [][2]string{{"weight", "scale"}, {"bias", "offset"}, {"running_mean", "running_mean"}, {"running_var", "running_var"}} {
			ps = append(ps, Param{Torch: torch + "." + kv[0], TorchShape: []int{ch}, Scope: EncoderScope + "/" + scope, Var: kv[1]})
		}
	}
	w0 := mrgmodel.TorchvisionWidth
	conv("conv1", "conv1", w0, 3, 7)
	bn("bn1", "bn1", w0)
	in := w0
	for stage, n := range blocks {
		width := w0 << stage
		for b := range n {
			t := fmt.Sprintf("layer%d.%d.", stage+1, b)
			s := fmt.Sprintf("layer%d/%d/", stage+1, b)
			stride := 1
			if stage > 0 && b == 0 {
				stride = 2
			}
			out := width
			if bottleneck {
				out = 4 * width
				conv(t+"conv1", s+"conv1", width, in, 1)
				bn(t+"bn1", s+"bn1", width)
				conv(t+"conv2", s+"conv2", width, width, 3)
				bn(t+"bn2", s+"bn2", width)
				conv(t+"conv3", s+"conv3", out, width, 1)
				bn(t+"bn3", s+"bn3", out)
			} else {
				conv(t+"conv1", s+"conv1", width, in, 3)
				bn(t+"bn1", s+"bn1", width)
				conv(t+"conv2", s+"conv2", width, width, 3)
				bn(t+"bn2", s+"bn2", width)
			}
			if stride != 1 || in != out {
				conv(t+"downsample.0", s+"downsample_0", out, in, 1)
				bn(t+"downsample.1", s+"downsample_1", out)
			}
			in = out
		}
	}
	return ps, nil
}

// ignored reports whether a state-dict entry has no counterpart on purpose:
// the ImageNet classifier and batch norm's step counters.
func ignored(name string) bool {
	return strings.HasPrefix(name, "fc.") || strings.HasSuffix(name, ".num_batches_tracked")
}
