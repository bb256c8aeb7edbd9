package train

import (
	"fmt"
	"math"
	"path"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mrgkit/mrgkit/mrgkit/hparams"
)

// Optimiser hyperparameters (root scope of the store).
const (
	ParamLR           = "learning_rate"     // peak learning rate; GoMLX's optimizer.ParamLearningRate (alias: lr)
	ParamMinLR        = "min_lr"            // final learning rate of the cosine decay
	ParamWarmupSteps  = "warmup_steps"      // linear warm-up steps
	ParamTotalSteps   = "total_steps"       // set by the loop: steps of the whole run
	ParamWeightDecay  = "adam_weight_decay" // decoupled decay, not on biases/norms; GoMLX's optimizer.ParamAdamWeightDecay (alias: weight_decay)
	ParamClipGrad     = "clip_grad"         // clip each gradient value to ±clip_grad (0: off)
	ParamAdamBeta1    = "adam_beta1"        // GoMLX's optimizer.ParamAdamBeta1
	ParamAdamBeta2    = "adam_beta2"        // GoMLX's optimizer.ParamAdamBeta2
	ParamAdamEpsilon  = "adam_epsilon"      // GoMLX's optimizer.ParamAdamEpsilon (alias: adam_eps)
	optimizerScope    = "adamw"             // where moments live
	lrVariableName    = "learning_rate"     // last learning rate used, for logging
	globalStepVarName = optimizer.GlobalStepVariableName
)

// AdamW is GoMLX's Adam update with the two things mrgkit's method needs and
// GoMLX's AdamW lacks: no weight decay on biases and normalisation
// parameters, and gradient clipping by value (as R2Gen/KIF's
// clip_grad_value_). The learning rate follows a linear warm-up to ParamLR
// then a cosine decay to ParamMinLR at ParamTotalSteps, computed in the graph
// from the global step so that a resumed run continues the same schedule.
// It implements GoMLX's optimizer.Interface.
//
// Why not GoMLX's optimizer.Adam().WeightDecay(wd) (v0.28.16, read in
// ml/train/optimizer/adam.go): its applyAdamGraph decays every trainable
// variable, with no way to exclude biases, norms and position tables (a
// wrapper around UpdateGraphWithGradients can clip the gradients but not
// exclude variables from the decay), and its only clipping,
// ParamClipStepByValue, clips the update step, not the gradient as R2Gen's
// clip_grad_value_ does. Swapping it in would also rename every run's moment
// variables (AdamOptimizer/..._1st_moment against adamw/..._m1) and change
// the demo's numbers. The update below is GoMLX's Adam formula (same debias
// terms and epsilon placement) with those two differences;
// TestAdamWMatchesTextbook checks it against AdamW written out in float64.
type AdamW struct{}

var _ optimizer.Interface = AdamW{}

// decays reports whether weight decay applies to a variable: matrices and
// convolution kernels only, never biases, norm gains/offsets, embeddings of
// positions or base probabilities.
func decays(v *model.Variable) bool {
	name := v.Name()
	scope := v.Scope()
	if v.Shape().Rank() < 2 {
		return false
	}
	for _, s := range []string{"normalization", "norm", "positions"} {
		if strings.Contains(scope, s) || strings.Contains(name, s) {
			return false
		}
	}
	return true
}

// LearningRate returns the schedule's value at a (1-based) step, for tests,
// logs and plots; the graph computes the same formula.
func LearningRate(step, warmup, total int, lr, minLR float64) float64 {
	if warmup > 0 && step <= warmup {
		return lr * float64(step) / float64(warmup)
	}
	if total <= warmup {
		return lr
	}
	p := float64(step-warmup) / float64(total-warmup)
	if p > 1 {
		p = 1
	}
	return minLR + 0.5*(lr-minLR)*(1+math.Cos(math.Pi*p))
}

// scheduleGraph is the schedule in the graph. GoMLX's cosineschedule
// (v0.28.16) computes another schedule, so it cannot serve without changing
// every run: its warm-up ramps from min_lr (not from 0) and counts steps
// from 0 (the counter's value before its increment; here the global step
// after it, from 1); past the period the cycle wraps back to the peak
// (fractional part) where this one holds min_lr; and its NumCycles form
// reads the last step from GoMLX's train.Loop, which the kit's loop is not.
func scheduleGraph(step *Node, warmup, total int, lr, minLR float64) *Node {
	g := step.Graph()
	s := ConvertDType(step, dtypes.Float32)
	warm := MulScalar(s, lr/math.Max(1, float64(warmup)))
	span := math.Max(1, float64(total-warmup))
	p := ClipScalar(DivScalar(SubScalar(s, float64(warmup)), span), 0, 1)
	cos := AddScalar(MulScalar(OnePlus(Cos(MulScalar(p, math.Pi))), 0.5*(lr-minLR)), minLR)
	if warmup <= 0 {
		return cos
	}
	return Where(LessOrEqual(s, Scalar(g, dtypes.Float32, float64(warmup))), warm, cos)
}

// UpdateGraph implements optimizer.Interface.
func (AdamW) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	root := scope.Store().RootScope()
	lr := hparams.Float(root, ParamLR)
	minLR := hparams.Float(root, ParamMinLR)
	warmup := hparams.Int(root, ParamWarmupSteps)
	total := hparams.Int(root, ParamTotalSteps)
	wd := hparams.Float(root, ParamWeightDecay)
	clip := hparams.Float(root, ParamClipGrad)
	beta1 := hparams.Float(root, ParamAdamBeta1)
	beta2 := hparams.Float(root, ParamAdamBeta2)
	eps := hparams.Float(root, ParamAdamEpsilon)

	var vars []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 {
		panic("AdamW: no trainable variables in use by the graph")
	}
	nodes := make([]*Node, len(vars))
	for i, v := range vars {
		nodes[i] = v.NodeValue(g)
	}
	grads := Gradient(loss, nodes...)

	step := optimizer.IncrementGlobalStep(g, dtypes.Int64)
	lrNode := scheduleGraph(step, warmup, total, lr, minLR)
	root.At(optimizer.Scope).WithInitializer(initializer.Zero).
		VariableWithShape(lrVariableName, lrNode.Shape()).SetTrainable(false).SetNodeValue(lrNode)
	t := ConvertDType(step, dtypes.Float32)
	b1 := Scalar(g, dtypes.Float32, beta1)
	b2 := Scalar(g, dtypes.Float32, beta2)
	debias1 := Reciprocal(OneMinus(Pow(b1, t)))
	debias2 := Reciprocal(OneMinus(Pow(b2, t)))

	for i, v := range vars {
		grad := grads[i]
		if clip > 0 {
			grad = ClipScalar(grad, -clip, clip)
		}
		mscope := root.Store().Scope(path.Join("/", optimizerScope, v.Scope())).WithInitializer(initializer.Zero)
		m1v := mscope.VariableWithShape(fmt.Sprintf("%s_m1", v.Name()), v.Shape()).SetTrainable(false)
		m2v := mscope.VariableWithShape(fmt.Sprintf("%s_m2", v.Name()), v.Shape()).SetTrainable(false)
		m1 := Add(MulScalar(m1v.NodeValue(g), beta1), MulScalar(grad, 1-beta1))
		m2 := Add(MulScalar(m2v.NodeValue(g), beta2), MulScalar(Square(grad), 1-beta2))
		m1v.SetNodeValue(m1)
		m2v.SetNodeValue(m2)
		update := Div(Mul(m1, debias1), AddScalar(Sqrt(Mul(m2, debias2)), eps))
		value := v.NodeValue(g)
		if wd > 0 && decays(v) {
			update = Add(update, MulScalar(value, wd))
		}
		v.SetNodeValue(Sub(value, Mul(lrNode, update)))
	}
}

// Clear implements optimizer.Interface: it deletes the moments.
func (AdamW) Clear(scope *model.Scope) error {
	return scope.Store().Scope("/" + optimizerScope).DeleteVariablesInScope()
}
