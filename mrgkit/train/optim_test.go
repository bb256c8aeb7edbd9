package train

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// TestAdamWMatchesTextbook: five steps of AdamW on a linear least-squares
// problem agree with AdamW written out here in float64 — value clipping,
// bias-corrected moments, decoupled weight decay on the matrix only, and
// the warm-up + cosine schedule — for a problem whose gradients are
// computed by hand.
func TestAdamWMatchesTextbook(t *testing.T) {
	const n, in, out, steps = 4, 2, 3, 5
	const lr, minLR, wd, clip, b1, b2, eps = 0.05, 0.001, 0.1, 0.5, 0.9, 0.999, 1e-8
	const warmup, total = 2, 5
	x := [n][in]float64{{1, 2}, {-1, 0.5}, {0.3, -2}, {2, 1}}
	y := [n][out]float64{{1, 0, -1}, {0.5, 2, 0}, {-1, 1, 1}, {3, -2, 0.5}}
	w0 := [in][out]float64{{0.1, -0.2, 0.3}, {0.4, 0.5, -0.6}}
	b0 := [out]float64{0.05, -0.1, 0.2}

	store := model.NewStore()
	root := store.RootScope()
	for k, v := range map[string]any{ParamLR: lr, ParamMinLR: minLR, ParamWeightDecay: wd, ParamClipGrad: clip,
		ParamAdamBeta1: b1, ParamAdamBeta2: b2, ParamAdamEpsilon: eps, ParamWarmupSteps: warmup, ParamTotalSteps: total} {
		root.SetParam(k, v)
	}
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	flat := func(a any) []float32 {
		var o []float32
		switch a := a.(type) {
		case [in][out]float64:
			for _, r := range a {
				for _, v := range r {
					o = append(o, float32(v))
				}
			}
		case [out]float64:
			for _, v := range a {
				o = append(o, float32(v))
			}
		}
		return o
	}
	exec, err := model.NewExec(be, store, func(scope *model.Scope, dummy *Node) []*Node {
		g := dummy.Graph()
		// As the train step does: without it GoMLX does not keep the
		// global step's update between calls.
		scope.SetTraining(g, true)
		// As in the train step: the optimizer sees the model's scope, not
		// the root (where the global step lives).
		ms := scope.In("m")
		lin := ms.In("lin")
		w := lin.VariableWithValue("weights", tensors.FromFlatDataAndDimensions(flat(w0), in, out)).NodeValue(g)
		b := lin.VariableWithValue("biases", tensors.FromFlatDataAndDimensions(flat(b0), out)).NodeValue(g)
		var xs, ys []float32
		for i := range n {
			for _, v := range x[i] {
				xs = append(xs, float32(v))
			}
			for _, v := range y[i] {
				ys = append(ys, float32(v))
			}
		}
		pred := Add(MatMul(Const(g, tensors.FromFlatDataAndDimensions(xs, n, in)), w), Reshape(b, 1, out))
		loss := ReduceAllSum(Square(Sub(pred, Const(g, tensors.FromFlatDataAndDimensions(ys, n, out)))))
		AdamW{}.UpdateGraph(ms, g, loss)
		return []*Node{loss, scope.Store().RootScope().At("optimizers").GetVariable(lrVariableName).NodeValue(g)}
	})
	if err != nil {
		t.Fatal(err)
	}

	// The textbook run.
	w, b := w0, b0
	var mw, vw [in][out]float64
	var mb, vb [out]float64
	upd := func(p, m, v *float64, g float64, step int, decay bool) {
		g = math.Max(-clip, math.Min(clip, g))
		*m = b1**m + (1-b1)*g
		*v = b2**v + (1-b2)*g*g
		u := (*m / (1 - math.Pow(b1, float64(step)))) / (math.Sqrt(*v/(1-math.Pow(b2, float64(step)))) + eps)
		if decay {
			u += wd * *p
		}
		*p -= LearningRate(step, warmup, total, lr, minLR) * u
	}
	for step := 1; step <= steps; step++ {
		outs, err := exec.Exec(tensors.FromFlatDataAndDimensions([]float32{0}, 1))
		if err != nil {
			t.Fatal(err)
		}
		if lrGot, want := outs[1].Value().(float32), LearningRate(step, warmup, total, lr, minLR); math.Abs(float64(lrGot)-want) > 1e-7 {
			t.Errorf("step %d: learning rate %g, want %g", step, lrGot, want)
		}
		var dw [in][out]float64
		var db [out]float64
		for i := range n {
			for o := range out {
				p := b[o]
				for k := range in {
					p += x[i][k] * w[k][o]
				}
				d := 2 * (p - y[i][o])
				db[o] += d
				for k := range in {
					dw[k][o] += x[i][k] * d
				}
			}
		}
		for k := range in {
			for o := range out {
				upd(&w[k][o], &mw[k][o], &vw[k][o], dw[k][o], step, true)
			}
		}
		for o := range out {
			upd(&b[o], &mb[o], &vb[o], db[o], step, false)
		}
	}
	for _, tc := range []struct {
		name string
		want []float32
	}{{"weights", flat(w)}, {"biases", flat(b)}} {
		got := tensors.MustCopyFlatData[float32](store.GetVariable("/m/lin/" + tc.name).MustValue())
		for i := range got {
			if math.Abs(float64(got[i]-tc.want[i])) > 1e-5*math.Max(1, math.Abs(float64(tc.want[i]))) {
				t.Errorf("%s[%d] = %g after %d steps, textbook AdamW %g", tc.name, i, got[i], steps, tc.want[i])
			}
		}
	}
}
