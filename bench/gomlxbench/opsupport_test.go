package gomlxbench

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// TestONNXOpSupport probes ops the mrgkit model uses (or might) for forward
// and backward support on ONNX Runtime. Rows with wantOK=false document known
// limits; if one starts working, the test says so (update FINDINGS.md).
// Run with -v to see the table.
func TestONNXOpSupport(t *testing.T) {
	requireONNX(t)
	be, err := backend.New("onnx:cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	img := randTensor(1, 1, 2, 8, 8, 4) // [B, H, W, C]
	vec := randTensor(2, 1, 4, 6)       // [B, D]
	// Each fn maps x (float) to a float node; grad=true differentiates the
	// sum of squares of the result with respect to x.
	tests := []struct {
		name   string
		x      *tensors.Tensor
		fn     func(x *Node) *Node
		grad   bool
		wantOK bool
	}{
		{"strided conv grad", img, func(x *Node) *Node {
			return Convolve(x, Ones(x.Graph(), shapesF32(3, 3, 4, 4))).Strides(2).PadSame().Done()
		}, true, false},
		{"strided conv forward", img, func(x *Node) *Node {
			return Convolve(x, Ones(x.Graph(), shapesF32(3, 3, 4, 4))).Strides(2).PadSame().Done()
		}, false, true},
		{"mean-pool 2x2 grad", img, func(x *Node) *Node { return MeanPool(x).Window(2).Strides(2).Done() }, true, false},
		{"mean-pool forward", img, func(x *Node) *Node { return MeanPool(x).Window(2).Strides(2).Done() }, false, true},
		{"max-pool 2x2 s2 grad", img, func(x *Node) *Node { return MaxPool(x).Window(2).Strides(2).Done() }, true, true},
		{"max-pool 3x3 s2 same grad", img, func(x *Node) *Node { return MaxPool(x).Window(3).Strides(2).PadSame().Done() }, true, true},
		{"global mean (ReduceMean H,W) grad", img, func(x *Node) *Node { return ReduceMean(x, 1, 2) }, true, true},
		{"dilated conv grad", img, func(x *Node) *Node {
			return Convolve(x, Ones(x.Graph(), shapesF32(3, 3, 4, 4))).Dilations(2).PadSame().Done()
		}, true, true},
		{"space-to-depth grad", img, func(x *Node) *Node { return SpaceToDepth(x, 2) }, true, true},
		{"im2col conv grad", img, func(x *Node) *Node { return Im2ColConv3x3(x, Ones(x.Graph(), shapesF32(36, 4))) }, true, true},
		{"bilinear resize grad (Clamp)", img, func(x *Node) *Node { return Interpolate(x, 2, 4, 4, 4).Bilinear().Done() }, true, false},
		{"bilinear resize forward (Clamp)", img, func(x *Node) *Node { return Interpolate(x, 2, 4, 4, 4).Bilinear().Done() }, false, false},
		{"Clip forward (Clamp)", vec, func(x *Node) *Node { return Clip(x, ScalarZero(x.Graph(), x.DType()), ScalarOne(x.Graph(), x.DType())) }, false, false},
		{"ClipScalar (Min/Max) grad", vec, func(x *Node) *Node { return ClipScalar(x, -0.5, 0.5) }, true, true},
		{"max/min elementwise grad", vec, func(x *Node) *Node { return Min(Max(x, ZerosLike(x)), OnesLike(x)) }, true, true},
		{"where grad", vec, func(x *Node) *Node { return Where(GreaterThan(x, ZerosLike(x)), x, MulScalar(x, 0.1)) }, true, true},
		{"gelu grad", vec, func(x *Node) *Node { return activation.Gelu(x) }, true, true},
		{"sigmoid grad", vec, func(x *Node) *Node { return Sigmoid(x) }, true, true},
		{"masked softmax (bool mask) grad", vec, func(x *Node) *Node {
			return MaskedSoftmax(x, GreaterThan(x, ZerosLike(x)), -1)
		}, true, true},
		{"cumsum grad", vec, func(x *Node) *Node { return CumSum(x, 1) }, true, true},
		{"variance grad", vec, func(x *Node) *Node { return ReduceVariance(x, 1) }, true, true},
		{"argmax forward", vec, func(x *Node) *Node { return ConvertDType(ArgMax(x, 1), dtypes.Float32) }, false, true},
		{"top-k forward (closures)", vec, func(x *Node) *Node { v, _ := TopK(x, 3, 1); return v }, false, false},
		{"sort forward (closures)", vec, func(x *Node) *Node { return Sort(x, 1, false) }, false, false},
		{"top-3 by repeated ArgMax forward", vec, func(x *Node) *Node {
			var vals []*Node
			for range 3 {
				idx := ArgMax(x, 1)
				oh := OneHot(idx, x.Shape().Dim(1), x.DType())
				vals = append(vals, ReduceSum(Mul(x, oh), 1))
				x = Where(GreaterThan(oh, ZerosLike(oh)), BroadcastToDims(Scalar(x.Graph(), x.DType(), -1e9), x.Shape().Dimensions...), x)
			}
			return Stack(vals, 1)
		}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, err := BlockStep(be, Block{
				Name: tc.name,
				Build: func(in []*Node) []*Node {
					y := tc.fn(in[0])
					if !tc.grad {
						return []*Node{y}
					}
					return Gradient(ReduceAllSum(Square(y)), in[0])
				},
				Inputs: func() []*tensors.Tensor { return []*tensors.Tensor{tc.x} },
			})
			if err == nil {
				err = step()
			}
			switch {
			case tc.wantOK && err != nil:
				t.Errorf("unsupported on ONNX Runtime: %v", err)
			case !tc.wantOK && err == nil:
				t.Errorf("now supported on ONNX Runtime: update FINDINGS.md and this table")
			case err != nil:
				t.Logf("fails as documented: %v", err)
			}
		})
	}
}
