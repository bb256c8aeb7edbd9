package model

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

// TestIm2ColConvMatchesConvolution checks the pure-Go backend's im2col 3x3
// convolution against GoMLX's layers.Convolution on the same variables:
// outputs and the gradients for the input and the kernel equal up to float
// rounding, and both create the same variables.
func TestIm2ColConvMatchesConvolution(t *testing.T) {
	tests := []struct {
		name              string
		n, h, w, cin, out int
		bias              bool
	}{
		{"square", 2, 5, 5, 3, 4, false},
		{"wide with bias", 1, 3, 6, 2, 5, true},
		{"one channel", 3, 4, 4, 1, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			_ = store.SetRNGStateFromSeed(5)
			vals, _ := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
				x := Sin(IotaFull(g, shapeFloat(tc.n, tc.h, tc.w, tc.cin)))
				// A loss with position-dependent weights, so that every output
				// position and channel gets a distinct adjoint.
				wts := Cos(MulScalar(IotaFull(g, shapeFloat(tc.n, tc.h, tc.w, tc.out)), 0.37))
				s := scope.In("c")
				ref := layers.Convolution(s, x).Channels(tc.out).KernelSize(3).PadSame().UseBias(tc.bias).Done()
				got := im2colConv3x3(s.Shared("conv"), x, tc.out, tc.bias)
				kernel := s.Shared("conv").VariableWithShape("weights", shapeFloat(3, 3, tc.cin, tc.out)).NodeValue(g)
				gRef := Gradient(ReduceAllSum(Mul(ref, wts)), x, kernel)
				gGot := Gradient(ReduceAllSum(Mul(got, wts)), x, kernel)
				return []*Node{ref, got, gRef[0], gGot[0], gRef[1], gGot[1]}
			})
			for i, what := range []string{"output", "input gradient", "kernel gradient"} {
				a, b := vals[2*i], vals[2*i+1]
				if len(a) != len(b) {
					t.Fatalf("%s: %d vs %d values", what, len(a), len(b))
				}
				for j := range a {
					if math.Abs(float64(a[j]-b[j])) > 1e-4*(1+math.Abs(float64(a[j]))) {
						t.Fatalf("%s[%d]: im2col %g, layers.Convolution %g", what, j, b[j], a[j])
					}
				}
			}
			n := 0
			for v := range store.RootScope().IterVariables() {
				if !strings.HasPrefix(v.Scope(), "/c") {
					continue // the store's RNG state
				}
				n++
				if v.Scope() != "/c/conv" {
					t.Errorf("unexpected variable %s/%s", v.Scope(), v.Name())
				}
			}
			if want := map[bool]int{false: 1, true: 2}[tc.bias]; n != want {
				t.Errorf("%d variables, want %d (weights, biases when used)", n, want)
			}
		})
	}
}

// TestEncoderSameOnGoAndONNX runs the encoder (tiny preset: 3x3
// convolutions, im2col on the pure-Go backend, ONNX Runtime's Conv there)
// on both CPU backends with the same variables and compares the patch
// features and the gradient for the images.
func TestEncoderSameOnGoAndONNX(t *testing.T) {
	fixture.RequireONNX(t, "go/onnx encoder parity")
	store, c := tinyStore(t, "")
	fn := func(scope *model.Scope, g *Graph) []*Node {
		img := Sin(MulScalar(images(g, c, 2), 0.01))
		patches, _ := EncodeImages(scope.In("model"), c, img)
		wts := Cos(MulScalar(IotaFull(g, patches.Shape()), 0.1))
		return []*Node{patches, Gradient(ReduceAllSum(Mul(patches, wts)), img)[0]}
	}
	want, _ := exec(t, store, fn) // pure Go; creates the variables
	ob, err := backend.New("onnx:cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Finalize()
	e, err := model.NewExec(ob, store, fn)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := e.Exec()
	if err != nil {
		t.Fatal(backend.WrapErr(err))
	}
	for i, what := range []string{"patch features", "image gradient"} {
		got := tensors.MustCopyFlatData[float32](outs[i])
		scale := 0.0
		for _, v := range want[i] {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		if len(got) != len(want[i]) || scale == 0 {
			t.Fatalf("%s: %d values on onnx, %d on go (scale %g)", what, len(got), len(want[i]), scale)
		}
		for j := range got {
			if d := math.Abs(float64(got[j] - want[i][j])); d > 1e-4*scale {
				t.Fatalf("%s[%d]: onnx %g, go %g (scale %g)", what, j, got[j], want[i][j], scale)
			}
		}
	}
}

// TestBatchNormAndRelu checks the folded batch norm (training mode) and the
// Where-based ReLU against their textbook forms built from GoMLX ops in
// the test: ((x − mean)/√(var+ε))·gain + offset and activation.Relu, with
// the gradients for x, gain and offset.
func TestBatchNormAndRelu(t *testing.T) {
	tests := []struct {
		name string
		dims []int
		bias float64 // added to x: a mean far from zero
	}{
		{"centred", []int{4, 3, 3, 5}, 0},
		{"offset mean", []int{2, 4, 4, 3}, 3},
		{"rank 2", []int{6, 4}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			_ = store.SetRNGStateFromSeed(2)
			ch := tc.dims[len(tc.dims)-1]
			vals, _ := exec(t, store, func(scope *model.Scope, g *Graph) []*Node {
				scope.SetTraining(g, true)
				x := AddScalar(Sin(MulScalar(IotaFull(g, shapeFloat(tc.dims...)), 0.7)), tc.bias)
				s := scope.In("bn")
				// Non-trivial gain and offset (the initial 1 and 0 would hide
				// their gradients' mistakes).
				gainV := s.WithInitializer(initializer.One).VariableWithShape("scale", shapeFloat(ch))
				gainV.SetNodeValue(AddScalar(MulScalar(IotaFull(g, shapeFloat(ch)), 0.3), 0.5))
				offV := s.WithInitializer(initializer.Zero).VariableWithShape("offset", shapeFloat(ch))
				offV.SetNodeValue(SubScalar(MulScalar(IotaFull(g, shapeFloat(ch)), 0.2), 0.1))
				gain, off := gainV.NodeValue(g), offV.NodeValue(g)
				got := relu(batchNorm(scope.Shared("bn"), x))
				axes := make([]int, len(tc.dims)-1)
				for i := range axes {
					axes[i] = i
				}
				bc := func(v *Node) *Node { return ExpandLeftToRank(v, len(tc.dims)) }
				mean := ReduceMean(x, axes...)
				variance := ReduceMean(Square(Sub(x, bc(mean))), axes...)
				norm := Div(Sub(x, bc(mean)), bc(Sqrt(AddScalar(variance, 1e-5))))
				ref := activation.Relu(Add(Mul(norm, bc(gain)), bc(off)))
				wts := Cos(MulScalar(IotaFull(g, shapeFloat(tc.dims...)), 0.3))
				gGot := Gradient(ReduceAllSum(Mul(got, wts)), x, gain, off)
				gRef := Gradient(ReduceAllSum(Mul(ref, wts)), x, gain, off)
				return []*Node{ref, got, gRef[0], gGot[0], gRef[1], gGot[1], gRef[2], gGot[2]}
			})
			for i, what := range []string{"output", "x gradient", "gain gradient", "offset gradient"} {
				a, b := vals[2*i], vals[2*i+1]
				for j := range a {
					if math.Abs(float64(a[j]-b[j])) > 1e-4*(1+math.Abs(float64(a[j]))) {
						t.Fatalf("%s[%d]: got %g, textbook form %g", what, j, b[j], a[j])
					}
				}
			}
		})
	}
}
