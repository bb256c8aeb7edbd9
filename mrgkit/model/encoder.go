package model

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// stageBlocks returns ResNet's blocks per stage for a depth, and whether the
// blocks are bottlenecks. Depth 10 is the 1-1-1-1 basic ResNet used on CPU.
func stageBlocks(depth int) (blocks []int, bottleneck bool, err error) {
	switch depth {
	case 10:
		return []int{1, 1, 1, 1}, false, nil
	case 18:
		return []int{2, 2, 2, 2}, false, nil
	case 34:
		return []int{3, 4, 6, 3}, false, nil
	case 50:
		return []int{3, 4, 6, 3}, true, nil
	case 101:
		return []int{3, 4, 23, 3}, true, nil
	case 152:
		return []int{3, 8, 36, 3}, true, nil
	}
	return nil, false, fmt.Errorf("unsupported ResNet depth %d (use 10, 18, 34, 50, 101 or 152)", depth)
}

// normalize applies the encoder's normalisation over the channel axis.
func normalize(scope *model.Scope, x *Node, kind string) *Node {
	switch kind {
	case "batch":
		return batchNorm(scope.In("batch_norm"), x)
	case "layer":
		return norm.LayerNorm(scope, x, -1).Epsilon(1e-5).Done()
	}
	return x
}

// batchNorm normalises channels (last axis) with batch statistics in
// training and running averages (momentum 0.1, as PyTorch) at inference.
// GoMLX's BatchNorm lowers to fused ops that neither CPU backend implements,
// so it is written here from elementary ops, which every backend trains.
// The normalisation and the affine map are folded into one per-channel
// scale and shift, y = x·a + b with a = gain/√(var+ε) and
// b = offset − mean·a: two full-size passes instead of four, forward and
// backward (the same function up to float rounding).
func batchNorm(scope *model.Scope, x *Node) *Node {
	return batchNormMode(scope, x, scope.IsTraining(x.Graph()), true, false)
}

// batchNormMode is batchNorm with the mode explicit: training normalises
// with batch statistics and updates the running ones; trainable says
// whether gain and offset learn; unbiased updates the running variance with
// the unbiased batch variance, as PyTorch does (normalisation always uses
// the biased one).
func batchNormMode(scope *model.Scope, x *Node, training, trainable, unbiased bool) *Node {
	g := x.Graph()
	ch := x.Shape().Dimensions[x.Rank()-1]
	axes := make([]int, x.Rank()-1)
	count := 1
	for i := range axes {
		axes[i] = i
		count *= x.Shape().Dimensions[i]
	}
	gain := freezeIf(scope.WithInitializer(initializer.One).VariableWithShape("scale", shapeFloat(ch)), !trainable).NodeValue(g)
	offset := freezeIf(scope.WithInitializer(initializer.Zero).VariableWithShape("offset", shapeFloat(ch)), !trainable).NodeValue(g)
	meanVar := scope.WithInitializer(initializer.Zero).VariableWithShape("running_mean", shapeFloat(ch)).SetTrainable(false)
	varVar := scope.WithInitializer(initializer.One).VariableWithShape("running_var", shapeFloat(ch)).SetTrainable(false)
	bc := func(v *Node) *Node { return ExpandLeftToRank(v, x.Rank()) }
	var mean, variance *Node
	if training {
		mean = ReduceMean(x, axes...)
		variance = ReduceMean(Square(Sub(x, bc(mean))), axes...)
		running := variance
		if unbiased && count > 1 {
			running = MulScalar(variance, float64(count)/float64(count-1))
		}
		const momentum = 0.1
		meanVar.SetNodeValue(Add(MulScalar(meanVar.NodeValue(g), 1-momentum), MulScalar(StopGradient(mean), momentum)))
		varVar.SetNodeValue(Add(MulScalar(varVar.NodeValue(g), 1-momentum), MulScalar(StopGradient(running), momentum)))
	} else {
		mean = meanVar.NodeValue(g)
		variance = varVar.NodeValue(g)
	}
	a := Mul(gain, Reciprocal(Sqrt(AddScalar(variance, 1e-5))))
	b := Sub(offset, Mul(mean, a))
	return Add(Mul(x, bc(a)), bc(b))
}

// relu is max(x, 0) as Where(x > 0, x, 0): its gradient is one Where
// (GoMLX differentiates activation.Relu through Max, five full-size ops).
// The gradient at exactly 0 is 0, as PyTorch's.
func relu(x *Node) *Node {
	return Where(GreaterThan(x, ZerosLike(x)), x, ZerosLike(x))
}

// freezeIf marks v non-trainable when frozen, and otherwise leaves it as it
// is (a caller such as distillation may have frozen it already).
func freezeIf(v *model.Variable, frozen bool) *model.Variable {
	if frozen {
		v.SetTrainable(false)
	}
	return v
}

// conv is a stride-1, same-padded convolution followed by the normalisation.
// Stride-1 convolutions train on every CPU backend (ONNX Runtime cannot
// differentiate strided ones).
func conv(scope *model.Scope, x *Node, out, kernel int, normKind string) *Node {
	var y *Node
	if kernel == 3 && im2colBackend(x.Graph()) {
		y = im2colConv3x3(scope.In("conv"), x, out, normKind == "none")
	} else {
		y = layers.Convolution(scope, x).Channels(out).KernelSize(kernel).PadSame().UseBias(normKind == "none").Done()
	}
	return normalize(scope, y, normKind)
}

// im2colBackend reports whether 3x3 convolutions are computed by im2col on
// g's backend: on the pure-Go backend one large matmul is much faster than
// its generic convolution loop; ONNX Runtime (slower with im2col: the
// slices' gradients cost more than its Conv kernels) and XLA keep their
// convolutions (bench/FINDINGS.md).
func im2colBackend(g *Graph) bool {
	return g.Backend().Name() == "Go Backend"
}

// im2colConv3x3 is layers.Convolution(...).KernelSize(3).PadSame() on
// channels-last x [N, H, W, C] computed as pad + 9 shifted slices +
// concatenation + one matmul. Given layers.Convolution's sub-scope
// (scope.In("conv")), it uses the same variables ("weights" [3, 3, C, out]
// with the same initializer, "biases" [out]), so initial values and
// checkpoints are the same and
// the outputs equal up to float rounding: the kernel reshaped to
// [9·C, out] has rows ordered (dy, dx, c), the order of the concatenated
// patches.
func im2colConv3x3(scope *model.Scope, x *Node, out int, bias bool) *Node {
	g := x.Graph()
	d := x.Shape().Dimensions
	n, h, w, c := d[0], d[1], d[2], d[3]
	kernel := scope.VariableWithShape("weights", shapeFloat(3, 3, c, out)).NodeValue(g)
	p := Pad(x, ScalarZero(g, x.DType()), PadAxis{}, PadAxis{Start: 1, End: 1}, PadAxis{Start: 1, End: 1}, PadAxis{})
	patches := make([]*Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			patches = append(patches, Slice(p, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	cols := Reshape(Concatenate(patches, -1), n*h*w, 9*c)
	y := Reshape(MatMul(cols, Reshape(kernel, 9*c, out)), n, h, w, out)
	if bias {
		y = Add(y, ExpandLeftToRank(scope.VariableWithShape("biases", shapeFloat(out)).NodeValue(g), 4))
	}
	return y
}

// spaceToDepth halves the spatial size by moving each 2x2 block into channels:
// [N, H, W, C] → [N, H/2, W/2, 4C]. Together with a 1x1 projection it replaces
// stride-2 convolutions with reshapes and a matmul.
func spaceToDepth(x *Node) *Node {
	d := x.Shape().Dimensions
	n, h, w, c := d[0], d[1], d[2], d[3]
	x = Reshape(x, n, h/2, 2, w/2, 2, c)
	x = TransposeAllDims(x, 0, 1, 3, 2, 4, 5)
	return Reshape(x, n, h/2, w/2, 4*c)
}

// basicBlock is ResNet's two-3x3 block; downsample halves the resolution.
func basicBlock(scope *model.Scope, x *Node, out int, downsample bool, normKind string) *Node {
	shortcut := x
	if downsample {
		x = spaceToDepth(x)
		shortcut = x
	}
	if downsample || x.Shape().Dimensions[3] != out {
		shortcut = normalize(scope.In("shortcut_norm"), layers.Dense(scope.In("shortcut"), shortcut, normKind == "none", out), normKind)
	}
	y := relu(conv(scope.In("conv1"), x, out, 3, normKind))
	y = conv(scope.In("conv2"), y, out, 3, normKind)
	return relu(Add(y, shortcut))
}

// bottleneckBlock is ResNet's 1x1 → 3x3 → 1x1 (x4) block.
func bottleneckBlock(scope *model.Scope, x *Node, width int, downsample bool, normKind string) *Node {
	out := 4 * width
	shortcut := x
	if downsample {
		x = spaceToDepth(x)
		shortcut = x
	}
	if downsample || x.Shape().Dimensions[3] != out {
		shortcut = normalize(scope.In("shortcut_norm"), layers.Dense(scope.In("shortcut"), shortcut, normKind == "none", out), normKind)
	}
	y := relu(normalize(scope.In("norm1"), layers.Dense(scope.In("reduce"), x, normKind == "none", width), normKind))
	y = relu(conv(scope.In("conv2"), y, width, 3, normKind))
	y = normalize(scope.In("norm3"), layers.Dense(scope.In("expand"), y, normKind == "none", out), normKind)
	return relu(Add(y, shortcut))
}

// stemPools is how many 2x max-pools the stem applies: one for small CPU
// images, two at 224 px so that ResNet's 7x7 grid comes out.
func stemPools(imageSize int) int {
	if imageSize >= 160 {
		return 2
	}
	return 1
}

// GridSize returns the side of the encoder's output patch grid.
func GridSize(c Config) int {
	if c.EncArch == ArchTorchvision {
		return (c.ImageSize + 31) / 32
	}
	return c.ImageSize >> (stemPools(c.ImageSize) + 3)
}

// VisualDim returns the channel count of the encoder's patch features.
func VisualDim(c Config) int {
	_, bottleneck, _ := stageBlocks(c.EncDepth)
	if bottleneck {
		return 8 * c.EncWidth * 4
	}
	return 8 * c.EncWidth
}

// ResNet encodes images [N, H, W, C] into a feature map [N, h, w, VisualDim].
func ResNet(scope *model.Scope, c Config, images *Node) *Node {
	blocks, bottleneck, err := stageBlocks(c.EncDepth)
	if err != nil {
		panic(err)
	}
	var x *Node
	if c.EncStemPool == "s2d" {
		// Space-to-depth before the stem: the stem convolution runs at the
		// pooled resolution (cheaper on CPU than convolving then pooling).
		x = images
		for range stemPools(c.ImageSize) {
			x = spaceToDepth(x)
		}
		x = relu(conv(scope.In("stem"), x, c.EncWidth, c.EncStem, c.EncNorm))
	} else {
		x = relu(conv(scope.In("stem"), images, c.EncWidth, c.EncStem, c.EncNorm))
		for range stemPools(c.ImageSize) {
			x = MaxPool(x).Window(2).Strides(2).Done()
		}
	}
	for stage, n := range blocks {
		width := c.EncWidth << stage
		ss := scope.In("stage%d", stage+1)
		for b := 0; b < n; b++ {
			s := ss.In("block%d", b+1)
			down := stage > 0 && b == 0
			if bottleneck {
				x = bottleneckBlock(s, x, width, down, c.EncNorm)
			} else {
				x = basicBlock(s, x, width, down, c.EncNorm)
			}
		}
	}
	return x
}

// EncodeImages runs the encoder on images [B, V, H, W, C] and returns the
// patch features P [B, V*h*w, VisualDim] (views concatenated, as R2Gen) and
// the global vector g [B, VisualDim] (patch mean, averaged over views).
// With Config.Views == 1 only the first view is used.
func EncodeImages(scope *model.Scope, c Config, images *Node) (patches, global *Node) {
	d := images.Shape().Dimensions
	b, v, h, w, ch := d[0], d[1], d[2], d[3], d[4]
	if c.Views < v {
		images = Slice(images, AxisRange(), AxisRange(0, c.Views))
		v = c.Views
	}
	x := Reshape(images, b*v, h, w, ch)
	var f *Node
	if c.EncArch == ArchTorchvision {
		f = TorchvisionResNet(scope.In("resnet"), c, x)
	} else {
		f = ResNet(scope.In("resnet"), c, x)
	}
	fd := f.Shape().Dimensions
	n := fd[1] * fd[2]
	patches = Reshape(f, b, v*n, fd[3])
	global = ReduceMean(patches, 1)
	return patches, global
}
