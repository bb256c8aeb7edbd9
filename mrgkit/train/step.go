package train

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

// TeacherStepGraph is the phase-1 training step: forward with teacher
// forcing, L = L_lm + cls_weight * L_cls, AdamW update. Outputs: total loss,
// L_lm, L_cls, learning rate.
func TeacherStepGraph(opt optimizer.Interface) func(scope *model.Scope, images, tokens, labels *Node) []*Node {
	return func(scope *model.Scope, images, tokens, labels *Node) []*Node {
		g := images.Graph()
		scope.SetTraining(g, true)
		c := mrgmodel.ReadConfig(scope.Store())
		ms := scope.Store().RootScope().In(mrgmodel.ScopeName)
		out := mrgmodel.Forward(ms, c, images, tokens, labels)
		total, lm, cls := mrgmodel.Losses(c, out, tokens, labels)
		opt.UpdateGraph(ms, g, total)
		return []*Node{total, lm, cls, LearningRateNode(scope, g)}
	}
}

// LearningRateNode is the learning rate the optimiser used in this step
// (its last UpdateGraph), for a step graph's last output.
func LearningRateNode(scope *model.Scope, g *Graph) *Node {
	return scope.Store().RootScope().At(optimizer.Scope).GetVariable(lrVariableName).NodeValue(g)
}
