package gomlxbench

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// Block is one building block benchmarked as forward + backward: its graph
// returns a scalar loss and the gradients with respect to every parameter and
// the input (as a layer inside a deeper network would need).
type Block struct {
	Name string
	// Shape describes the sizes, for the findings table.
	Shape string
	// Build returns [loss, gradients...] for inputs [x, params...].
	Build func(in []*Node) []*Node
	// Inputs returns fresh input tensors [x, params...].
	Inputs func() []*tensors.Tensor
	// ONNXFails is set for formulations ONNX Runtime cannot differentiate.
	ONNXFails bool
}

// Downsampling block sizes: a 64×64 feature map with 16 channels becomes
// 32×32 with 32 channels (an early ResNet stage at CPU-demo resolution).
const (
	DSBatch, DSSize, DSCin, DSCout = 16, 64, 16, 32
)

// Attention block sizes: the decoder of the tiny transformer.
const (
	AttBatch, AttSeq, AttDim, AttHeads = 16, 60, 128, 4
)

func randTensor(seed uint64, scale float64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	s := seed*6364136223846793005 + 1442695040888963407
	for i := range v {
		s = s*6364136223846793005 + 1442695040888963407
		v[i] = float32((float64(s>>11)/float64(1<<53)*2 - 1) * scale)
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// SpaceToDepth rearranges [B, H, W, C] into [B, H/f, W/f, f*f*C]: a
// downsampling that needs only reshapes and a transpose, so both CPU
// backends differentiate it.
func SpaceToDepth(x *Node, f int) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	x = Reshape(x, b, h/f, f, w/f, f, c)
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	return Reshape(x, b, h/f, w/f, f*f*c)
}

// Im2ColConv3x3 is a stride-1, same-padded 3×3 convolution written as
// pad + 9 shifted slices + concatenation + one matmul: x is [B, H, W, C],
// kernel is [9*C, Cout] (rows ordered dy, dx, c). Its gradient needs only
// Pad/Slice without interior padding, so both CPU backends train it, and the
// pure-Go backend runs it as one large matmul instead of its generic
// convolution loop.
func Im2ColConv3x3(x, kernel *Node) *Node {
	d := x.Shape().Dimensions
	h, w := d[1], d[2]
	zero := ScalarZero(x.Graph(), x.DType())
	p := Pad(x, zero, PadAxis{}, PadAxis{Start: 1, End: 1}, PadAxis{Start: 1, End: 1}, PadAxis{})
	patches := make([]*Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			patches = append(patches, Slice(p, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	return Einsum("bhwk,kd->bhwd", Concatenate(patches, -1), kernel)
}

func shapesF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

func meanSquare(x *Node) *Node { return ReduceAllMean(Square(x)) }

func lossAndGrads(loss *Node, wrt ...*Node) []*Node {
	return append([]*Node{loss}, Gradient(loss, wrt...)...)
}

func convInputs(kh, cin, cout int) func() []*tensors.Tensor {
	return func() []*tensors.Tensor {
		return []*tensors.Tensor{
			randTensor(1, 1, DSBatch, DSSize, DSSize, DSCin),
			randTensor(2, 1/math.Sqrt(float64(kh*kh*cin)), kh, kh, cin, cout),
		}
	}
}

// DownsampleBlocks are the formulations of "halve the resolution, double the
// channels" compared for the visual encoder.
func DownsampleBlocks() []Block {
	shape := "16×64×64×16 → 16×32×32×32"
	return []Block{
		{
			Name: "conv3x3-s1+maxpool2", Shape: shape,
			Build: func(in []*Node) []*Node {
				y := Convolve(in[0], in[1]).PadSame().Done()
				y = MaxPool(y).Window(2).Strides(2).Done()
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: convInputs(3, DSCin, DSCout),
		},
		{
			Name: "space2depth+matmul", Shape: shape,
			Build: func(in []*Node) []*Node {
				y := SpaceToDepth(in[0], 2)
				y = Einsum("bhwc,cd->bhwd", y, in[1])
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: func() []*tensors.Tensor {
				return []*tensors.Tensor{
					randTensor(1, 1, DSBatch, DSSize, DSSize, DSCin),
					randTensor(2, 1/math.Sqrt(4*DSCin), 4*DSCin, DSCout),
				}
			},
		},
		{
			Name: "space2depth+conv3x3-s1", Shape: shape,
			Build: func(in []*Node) []*Node {
				y := Convolve(SpaceToDepth(in[0], 2), in[1]).PadSame().Done()
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: func() []*tensors.Tensor {
				return []*tensors.Tensor{
					randTensor(1, 1, DSBatch, DSSize, DSSize, DSCin),
					randTensor(2, 1/math.Sqrt(9*4*DSCin), 3, 3, 4*DSCin, DSCout),
				}
			},
		},
		{
			Name: "im2col-conv3x3-s1+maxpool2", Shape: shape,
			Build: func(in []*Node) []*Node {
				y := Im2ColConv3x3(in[0], in[1])
				y = MaxPool(y).Window(2).Strides(2).Done()
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: func() []*tensors.Tensor {
				return []*tensors.Tensor{
					randTensor(1, 1, DSBatch, DSSize, DSSize, DSCin),
					randTensor(2, 1/math.Sqrt(9*DSCin), 9*DSCin, DSCout),
				}
			},
		},
		{
			Name: "space2depth+im2col-conv3x3-s1", Shape: shape,
			Build: func(in []*Node) []*Node {
				y := Im2ColConv3x3(SpaceToDepth(in[0], 2), in[1])
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: func() []*tensors.Tensor {
				return []*tensors.Tensor{
					randTensor(1, 1, DSBatch, DSSize, DSSize, DSCin),
					randTensor(2, 1/math.Sqrt(9*4*DSCin), 9*4*DSCin, DSCout),
				}
			},
		},
		{
			Name: "conv3x3-s2 (strided)", Shape: shape, ONNXFails: true,
			Build: func(in []*Node) []*Node {
				y := Convolve(in[0], in[1]).Strides(2).PadSame().Done()
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: convInputs(3, DSCin, DSCout),
		},
		{
			Name: "conv3x3-s1+meanpool2", Shape: shape, ONNXFails: true,
			Build: func(in []*Node) []*Node {
				y := Convolve(in[0], in[1]).PadSame().Done()
				y = MeanPool(y).Window(2).Strides(2).Done()
				return lossAndGrads(meanSquare(y), in[0], in[1])
			},
			Inputs: convInputs(3, DSCin, DSCout),
		},
	}
}

// attentionBlock: Q/K/V projections, causal multi-head attention, output
// projection; core chooses the attention formulation.
func attentionBlock(core func(q, k, v *Node) *Node) func(in []*Node) []*Node {
	return func(in []*Node) []*Node {
		x, wq, wk, wv, wo := in[0], in[1], in[2], in[3], in[4]
		hd := AttDim / AttHeads
		proj := func(w *Node) *Node {
			return Reshape(Einsum("bsd,de->bse", x, w), AttBatch, AttSeq, AttHeads, hd)
		}
		o := core(proj(wq), proj(wk), proj(wv)) // [B, S, H, hd]
		o = Reshape(o, AttBatch, AttSeq, AttDim)
		y := Einsum("bsd,de->bse", o, wo)
		return lossAndGrads(meanSquare(y), x, wq, wk, wv, wo)
	}
}

// ManualAttention is causal attention from einsums, an additive mask and
// Softmax: q, k, v are [B, S, H, hd]; the result is [B, S, H, hd].
func ManualAttention(q, k, v *Node) *Node {
	g := q.Graph()
	s := q.Shape().Dim(1)
	hd := q.Shape().Dim(3)
	scores := Einsum("bqhd,bkhd->bhqk", q, k)
	scores = MulScalar(scores, 1/math.Sqrt(float64(hd)))
	causal := LowerTriangular(g, s) // [S, S] bool
	neg := Where(causal, Zeros(g, shapes.Make(dtypes.Float32, s, s)), BroadcastToDims(Scalar(g, dtypes.Float32, -1e9), s, s))
	scores = Add(scores, InsertAxes(neg, 0, 0))
	p := Softmax(scores, -1)
	return Einsum("bhqk,bkhd->bqhd", p, v)
}

func attInputs() []*tensors.Tensor {
	sc := 1 / math.Sqrt(AttDim)
	return []*tensors.Tensor{
		randTensor(1, 1, AttBatch, AttSeq, AttDim),
		randTensor(2, sc, AttDim, AttDim), randTensor(3, sc, AttDim, AttDim),
		randTensor(4, sc, AttDim, AttDim), randTensor(5, sc, AttDim, AttDim),
	}
}

// AttentionBlocks compare GoMLX's attention.Core (fused where the backend has
// it, decomposed otherwise) with a hand-written einsum formulation.
func AttentionBlocks() []Block {
	shape := "16×60×128, 4 heads, causal"
	return []Block{
		{
			Name: "attention.Core (fusion on)", Shape: shape, Inputs: attInputs,
			Build: attentionBlock(func(q, k, v *Node) *Node {
				o, _ := attention.Core(q, k, v, attention.LayoutBSHD, attention.CoreOptions{UseCausalMask: true})
				return o
			}),
		},
		{
			Name: "attention.Core (fusion off)", Shape: shape, Inputs: attInputs,
			Build: attentionBlock(func(q, k, v *Node) *Node {
				o, _ := attention.Core(q, k, v, attention.LayoutBSHD, attention.CoreOptions{UseCausalMask: true, DisableFusion: true})
				return o
			}),
		},
		{
			Name: "einsum+additive mask+softmax", Shape: shape, Inputs: attInputs,
			Build: attentionBlock(ManualAttention),
		},
	}
}

// BlockStep compiles b on backend and returns a function that runs one
// forward+backward pass. Errors (including ONNX Runtime's unsupported ops)
// go through backend.WrapErr.
func BlockStep(be compute.Backend, b Block) (step func() error, err error) {
	defer backend.Recover(&err)
	exec, err := NewExec(be, b.Build)
	if err != nil {
		return nil, backend.WrapErr(err)
	}
	inputs := b.Inputs()
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	return func() (err error) {
		defer backend.Recover(&err)
		outs, err := exec.Call(args...)
		if err != nil {
			return backend.WrapErr(err)
		}
		for _, o := range outs {
			_ = o.FinalizeAll()
		}
		return nil
	}, nil
}
