// Package distill runs phase 2 of the method: a student trained from scratch
// against a frozen teacher with global (logit) and local (relational)
// knowledge distillation, optionally with adaptive per-token weights and
// over several rounds (the student becomes the next teacher).
package distill

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	"github.com/mrgkit/mrgkit/mrgkit/internal/usage"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// Distillation hyperparameters (root scope of the student's store).
const (
	ParamGlobalWeight = "kd_global_weight" // weight of L_global (0.01)
	ParamLocalWeight  = "kd_local_weight"  // weight of L_local (1.0)
	ParamTemperature  = "kd_temperature"   // T of L_global (4)
	ParamAdaptive     = "kd_adaptive"      // adaptive per-token weights of L_global
)

// TeacherScope is where the frozen teacher's variables live in the student's store.
const TeacherScope = "teacher"

// The distillation hyperparameters (the reference settings).
func init() {
	hparams.Register("distill",
		hparams.Spec{Key: ParamGlobalWeight, Default: 0.01, Range: "[0,)", Doc: "distillation: weight of L_global (logit KD)"},
		hparams.Spec{Key: ParamLocalWeight, Default: 1.0, Range: "[0,)", Doc: "distillation: weight of L_local (relational KD)"},
		hparams.Spec{Key: ParamTemperature, Default: 4.0, Range: "(0,)", Doc: "distillation: temperature T of L_global"},
		hparams.Spec{Key: ParamAdaptive, Default: false, Doc: "distillation: adaptive per-token weights of L_global"},
	)
}

// Options configures Distill.
type Options struct {
	Teacher   string // teacher run directory
	DataDir   string
	Dataset   string // default: the teacher's
	ImageRoot string
	Preset    string // student preset (default: the teacher's)
	Set       string
	Out       string
	Rounds    int // >1: iterative distillation, each round's student teaches the next
	Progress  io.Writer
	Backend   compute.Backend
	MaxSteps  int
	Quiet     bool
	Force     bool         // see train.Options.Force
	Observe   run.Observer // see train.Options.Observe
}

// Distill trains the student(s). With Rounds > 1 the rounds are written to
// OUT/round1 ... OUT/roundR and the last one is the result.
func Distill(opts Options) (*run.Summary, error) {
	if opts.Rounds < 1 {
		opts.Rounds = 1
	}
	if opts.Rounds > 10 {
		return nil, errors.Errorf("rounds=%d: at most 10", opts.Rounds)
	}
	if opts.Teacher != "" && opts.Out != "" && run.SameRunDir(opts.Teacher, opts.Out) {
		return nil, errors.Errorf("-out %s is the teacher's run directory: the student needs a directory of its own", opts.Out)
	}
	teacher := opts.Teacher
	var sum *run.Summary
	for r := 1; r <= opts.Rounds; r++ {
		out := opts.Out
		if opts.Rounds > 1 {
			out = filepath.Join(opts.Out, fmt.Sprintf("round%d", r))
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "distillation round %d/%d (teacher %s)\n", r, opts.Rounds, teacher)
			}
		}
		o := opts
		o.Teacher, o.Out = teacher, out
		var err error
		if sum, err = distillOnce(o); err != nil {
			return nil, err
		}
		if sum.Stopped {
			return sum, nil
		}
		teacher = out
	}
	return sum, nil
}

func distillOnce(opts Options) (*run.Summary, error) {
	tStore, vocab, info, err := run.Load(opts.Teacher)
	if err != nil {
		return nil, errors.Wrap(err, "loading the teacher")
	}
	tc := mrgmodel.ReadConfig(tStore)
	if opts.Dataset == "" {
		opts.Dataset = info.Dataset
	}
	if opts.DataDir == "" {
		opts.DataDir, opts.ImageRoot = info.DataDir, info.ImageRoot
	}
	if opts.Preset == "" && !run.HasCheckpoint(run.Dir(opts.Out).Ckpt()) {
		opts.Preset = info.Preset // a resumed student keeps its own
	}
	set := opts.Set
	// The student inherits the settings it must share with the teacher.
	shared := fmt.Sprintf("%s=%d;%s=%d;%s=%d;%s=%d;%s=%d;%s=%d", mrgmodel.ParamImageSize, tc.ImageSize, mrgmodel.ParamImageResize, tc.ImageResize,
		mrgmodel.ParamImageChannels, tc.Channels, mrgmodel.ParamViews, tc.Views, mrgmodel.ParamMaxLen, tc.MaxLen, mrgmodel.ParamNumLabels, tc.NumLabels)
	full := train.JoinSets(shared, set)
	return train.Train(train.Options{
		DataDir: opts.DataDir, Dataset: opts.Dataset, ImageRoot: opts.ImageRoot,
		Preset: opts.Preset, Set: full, Out: opts.Out, Progress: opts.Progress, Backend: opts.Backend,
		MaxSteps: opts.MaxSteps, Quiet: opts.Quiet, Force: opts.Force, Vocab: vocab, Teacher: opts.Teacher,
		Recipe:  &Student{dir: opts.Teacher, store: tStore, config: tc, vocab: vocab},
		Observe: opts.Observe,
	})
}

// Student is the phase-2 recipe (train.Recipe): the loop of phase 1 with
// the teacher frozen inside the student's store and the KD losses added.
type Student struct {
	dir    string // the teacher's run directory
	store  *model.Store
	config mrgmodel.Config
	vocab  *data.Vocab
}

var _ train.Recipe = (*Student)(nil)

// Kind implements train.Recipe.
func (*Student) Kind() string { return "student" }

// Params implements train.Recipe: the kd_* keys.
func (*Student) Params() []string { return []string{"distill"} }

// LossNames implements train.Recipe.
func (*Student) LossNames() []string { return []string{"lm_loss", "cls_loss", "kd_global", "kd_local"} }

// StepGraph implements train.Recipe.
func (s *Student) StepGraph() train.StepGraphFn { return StepGraph(s.config, train.AdamW{}) }

// Prepare implements train.Recipe: it checks the student against its
// teacher and copies the teacher's variables in, frozen.
func (s *Student) Prepare(store *model.Store, v *data.Vocab) error {
	if err := Validate(store); err != nil {
		return err
	}
	if err := compatible(s.config, mrgmodel.ReadConfig(store), s.vocab, v); err != nil {
		return errors.Wrapf(err, "teacher %s and student are incompatible", s.dir)
	}
	return copyTeacher(s.store, store)
}

// Validate checks the hyperparameters of a student's store against their
// declarations (the distillation keys among them). Its errors are usage
// errors (the values come from -set).
func Validate(store *model.Store) error { return usage.Wrap(hparams.Validate(store)) }

// compatible checks what the student must share with its teacher.
func compatible(t, s mrgmodel.Config, tv, sv *data.Vocab) error {
	var errs []string
	if t.VocabSize != s.VocabSize || (tv != nil && sv != nil && tv.Size() != sv.Size()) {
		errs = append(errs, fmt.Sprintf("vocabulary %d vs %d words", t.VocabSize, s.VocabSize))
	}
	for _, p := range []struct {
		name string
		a, b int
	}{{"image_size", t.ImageSize, s.ImageSize}, {"views", t.Views, s.Views}, {"image_channels", t.Channels, s.Channels},
		{"max_len", t.MaxLen, s.MaxLen}, {"num_labels", t.NumLabels, s.NumLabels}} {
		if p.a != p.b {
			errs = append(errs, fmt.Sprintf("%s %d vs %d", p.name, p.a, p.b))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// copyTeacher copies the teacher's model variables into the student's store
// under TeacherScope, frozen. Optimiser state and counters are not copied.
func copyTeacher(teacher, student *model.Store) error {
	prefix := "/" + mrgmodel.ScopeName + "/"
	n := 0
	for v := range teacher.IterVariables() {
		p := v.Path()
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		rest := strings.TrimPrefix(p, prefix)
		scope, name := model.SplitPath("/" + TeacherScope + "/" + rest)
		value, err := v.Value()
		if err != nil {
			return err
		}
		nv, err := student.Scope(scope).CreateVariable(name, value)
		if err != nil {
			return errors.Wrapf(err, "copying teacher variable %s", p)
		}
		nv.SetTrainable(false)
		n++
	}
	if n == 0 {
		return errors.New("the teacher checkpoint has no model variables")
	}
	return nil
}

// StepGraph is the phase-2 step: L = L_lm + cls_weight*L_cls +
// kd_global_weight*L_global + kd_local_weight*L_local. The teacher runs in
// inference mode (no dropout, running batch-norm statistics) under
// StopGradient. Outputs: total, L_lm, L_cls, L_global, L_local, lr.
func StepGraph(tc mrgmodel.Config, opt optimizer.Interface) train.StepGraphFn {
	return func(scope *model.Scope, images, tokens, labels *Node) []*Node {
		g := images.Graph()
		root := scope.Store().RootScope()

		scope.SetTraining(g, false)
		tOut := mrgmodel.Forward(root.In(TeacherScope), tc, images, tokens, labels)
		scope.SetTraining(g, true)

		sc := mrgmodel.ReadConfig(scope.Store())
		ms := root.In(mrgmodel.ScopeName)
		sOut := mrgmodel.Forward(ms, sc, images, tokens, labels)
		total, lm, cls := mrgmodel.Losses(sc, sOut, tokens, labels)

		temp := hparams.Float(root, ParamTemperature)
		adaptive := hparams.Bool(root, ParamAdaptive)
		kdG := GlobalKD(sOut.LMLogits, StopGradient(tOut.LMLogits), tokens, temp, adaptive)
		var sCls, tCls *Node
		if sOut.ClsLogits != nil && tOut.ClsLogits != nil {
			sCls, tCls = sOut.ClsLogits, StopGradient(tOut.ClsLogits)
		}
		kdL := LocalKD(sOut.Patches, StopGradient(tOut.Patches), sCls, tCls)
		total = Add(total, MulScalar(kdG, hparams.Float(root, ParamGlobalWeight)))
		total = Add(total, MulScalar(kdL, hparams.Float(root, ParamLocalWeight)))
		opt.UpdateGraph(ms, g, total)
		return []*Node{total, lm, cls, kdG, kdL, train.LearningRateNode(scope, g)}
	}
}

// GlobalKD is the narrative (logit) distillation loss
//
//	T² · Σ_{b,j} m_bj · w_bj · KL(softmax(z_t/T) ‖ softmax(z_s/T)) / B
//
// over report positions m (words and the EOS; prompt and padding positions
// excluded). Without adaptation w = 1. With adaptation w_bj is the teacher's
// probability (at T=1) of the ground-truth token, divided by its mean over
// the masked positions of the batch: tokens the teacher predicts well are
// distilled more, those it gets wrong less, and the overall scale is kept.
func GlobalKD(student, teacher, tokens *Node, temp float64, adaptive bool) *Node {
	b := float64(student.Shape().Dimensions[0])
	ls := LogSoftmax(DivScalar(student, temp), -1)
	lt := LogSoftmax(DivScalar(teacher, temp), -1)
	kl := ReduceSum(Mul(Exp(lt), Sub(lt, ls)), -1) // [B, L]
	mask := mrgmodel.TokenMask(tokens)
	w := mask
	if adaptive {
		nTok := teacher.Shape().Dimensions[2]
		pt := ReduceSum(Mul(Softmax(teacher, -1), OneHot(tokens, nTok, teacher.DType())), -1) // [B, L]
		mean := Div(ReduceAllSum(Mul(pt, mask)), MaxScalar(ReduceAllSum(mask), 1))
		w = Mul(mask, Div(pt, MaxScalar(mean, 1e-6)))
	}
	return MulScalar(ReduceAllSum(Mul(kl, w)), temp*temp/b)
}

// LocalKD is the relational distillation loss: with F the flattened patch
// features and C the flattened class logits of a batch, H = [F Fᵀ, C Cᵀ]
// (B x 2B), rows L2-normalised, L_local = Σ_i ‖H_s,i − H_t,i‖₂. Without class
// logits (no diagnosis branch) H = F Fᵀ.
func LocalKD(sPatches, tPatches, sCls, tCls *Node) *Node {
	relation := func(p, c *Node) *Node {
		b := p.Shape().Dimensions[0]
		f := Reshape(p, b, -1)
		h := Einsum("ik,jk->ij", f, f)
		if c != nil {
			cf := Reshape(c, b, -1)
			h = Concatenate([]*Node{h, Einsum("ik,jk->ij", cf, cf)}, 1)
		}
		norm := Sqrt(AddScalar(ReduceSum(Square(h), -1), 1e-12))
		return Div(h, ExpandAxes(norm, -1))
	}
	hs := relation(sPatches, sCls)
	ht := relation(tPatches, tCls)
	diff := Sub(hs, ht)
	return ReduceAllSum(Sqrt(AddScalar(ReduceSum(Square(diff), -1), 1e-12)))
}
