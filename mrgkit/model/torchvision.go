package model

import (
	"fmt"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/pkg/errors"
)

// Encoder architectures (ParamEncArch).
const (
	// ArchKit is mrgkit's CPU-friendly ResNet: stride-1 convolutions with
	// space-to-depth downsampling (trains on every CPU backend).
	ArchKit = "kit"
	// ArchTorchvision is torchvision's ResNet (v1.5): 7x7/2 stem, 3x3/2
	// max-pool, basic or bottleneck blocks with the stride on the 3x3
	// convolution and 1x1/2 downsample convolutions. Its variables are named
	// after torchvision's state dict (conv1, bn1, layer1/0/conv1, ...), so
	// ImageNet weights import one to one (package weights).
	ArchTorchvision = "torchvision"
)

// TorchvisionWidth is the stem width of torchvision's ResNets.
const TorchvisionWidth = 64

// tvConv is a bias-free convolution with torchvision's explicit symmetric
// padding (kernel/2 on each side). Its kernel is [k, k, in, out]
// (channels-last GoMLX layout; torchvision's is [out, in, k, k]).
func tvConv(scope *model.Scope, x *Node, out, kernel, stride int, trainable bool) *Node {
	in := x.Shape().Dimensions[3]
	w := freezeIf(scope.WithInitializer(initializer.HeFn(scope)).VariableWithShape("weights", shapeFloat(kernel, kernel, in, out)), !trainable)
	p := kernel / 2
	return Convolve(x, w.NodeValue(x.Graph())).Strides(stride).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
}

// tvBatchNorm is batchNorm in torchvision's convention; frozen uses the
// running statistics even in training and keeps every variable fixed.
func tvBatchNorm(scope *model.Scope, x *Node, frozen bool) *Node {
	return batchNormMode(scope, x, scope.IsTraining(x.Graph()) && !frozen, !frozen, true)
}

// tvBasicBlock is torchvision's BasicBlock (expansion 1).
func tvBasicBlock(scope *model.Scope, x *Node, width, stride int, frozen bool) *Node {
	identity := x
	y := activation.Relu(tvBatchNorm(scope.In("bn1"), tvConv(scope.In("conv1"), x, width, 3, stride, !frozen), frozen))
	y = tvBatchNorm(scope.In("bn2"), tvConv(scope.In("conv2"), y, width, 3, 1, !frozen), frozen)
	if stride != 1 || x.Shape().Dimensions[3] != width {
		identity = tvDownsample(scope, x, width, stride, frozen)
	}
	return activation.Relu(Add(y, identity))
}

// tvBottleneck is torchvision's Bottleneck (v1.5: the stride is on conv2).
func tvBottleneck(scope *model.Scope, x *Node, width, stride int, frozen bool) *Node {
	out := 4 * width
	identity := x
	y := activation.Relu(tvBatchNorm(scope.In("bn1"), tvConv(scope.In("conv1"), x, width, 1, 1, !frozen), frozen))
	y = activation.Relu(tvBatchNorm(scope.In("bn2"), tvConv(scope.In("conv2"), y, width, 3, stride, !frozen), frozen))
	y = tvBatchNorm(scope.In("bn3"), tvConv(scope.In("conv3"), y, out, 1, 1, !frozen), frozen)
	if stride != 1 || x.Shape().Dimensions[3] != out {
		identity = tvDownsample(scope, x, out, stride, frozen)
	}
	return activation.Relu(Add(y, identity))
}

// tvDownsample is torchvision's downsample branch: 1x1/stride conv + batch
// norm (state-dict names downsample.0 and downsample.1).
func tvDownsample(scope *model.Scope, x *Node, out, stride int, frozen bool) *Node {
	y := tvConv(scope.In("downsample_0"), x, out, 1, stride, !frozen)
	return tvBatchNorm(scope.In("downsample_1"), y, frozen)
}

// TorchvisionResNet encodes images [N, H, W, 3] into torchvision's last
// feature map [N, H/32, W/32, VisualDim] (before its average pool). With
// c.EncFreeze the encoder runs forward only: batch norm uses its running
// statistics, no encoder variable is trainable, and no gradient flows into
// it (so ONNX Runtime, which cannot differentiate strided convolutions,
// trains the rest of the model).
func TorchvisionResNet(scope *model.Scope, c Config, images *Node) *Node {
	blocks, bottleneck, err := stageBlocks(c.EncDepth)
	if err != nil {
		panic(err)
	}
	if ch := images.Shape().Dimensions[3]; ch != 3 {
		panic(fmt.Sprintf("%s=%s needs RGB input (%s=3), got %d channels", ParamEncArch, ArchTorchvision, ParamImageChannels, ch))
	}
	frozen := c.EncFreeze
	x := tvConv(scope.In("conv1"), images, c.EncWidth, 7, 2, !frozen)
	x = activation.Relu(tvBatchNorm(scope.In("bn1"), x, frozen))
	// Max-pool 3x3/2 with padding 1: the input is post-ReLU (>= 0), so the
	// zero padding of Pad equals torchvision's -inf padding.
	x = Pad(x, ScalarZero(x.Graph(), x.DType()), PadAxis{}, PadAxis{Start: 1, End: 1}, PadAxis{Start: 1, End: 1}, PadAxis{})
	x = MaxPool(x).Window(3).Strides(2).NoPadding().Done()
	for stage, n := range blocks {
		width := c.EncWidth << stage
		ls := scope.In("layer%d", stage+1)
		for b := range n {
			s := ls.In("%d", b)
			stride := 1
			if stage > 0 && b == 0 {
				stride = 2
			}
			if bottleneck {
				x = tvBottleneck(s, x, width, stride, frozen)
			} else {
				x = tvBasicBlock(s, x, width, stride, frozen)
			}
		}
	}
	if frozen {
		x = StopGradient(x)
	}
	return x
}

// CheckBackend reports, before anything is built, a configuration that the
// backend named backendName (compute.Backend.Name()) cannot train: ONNX
// Runtime cannot differentiate the torchvision encoder's strided
// convolutions, so it trains that encoder only frozen.
func CheckBackend(c Config, backendName string) error {
	if c.EncArch == ArchTorchvision && !c.EncFreeze && strings.Contains(strings.ToLower(backendName), "onnx") {
		return errors.Errorf("%s=%s: backend %s cannot differentiate strided convolutions (op ConvGeneral with strides 2, "+
			"in the 7x7/2 stem and the 1x1/2 and 3x3/2 downsampling); set GOMLX_BACKEND=go or GOMLX_BACKEND=xla to fine-tune "+
			"the encoder, or -set \"%s=true\" to train the rest of the model on a frozen encoder", ParamEncArch, ArchTorchvision, backendName, ParamEncFreeze)
	}
	return nil
}
