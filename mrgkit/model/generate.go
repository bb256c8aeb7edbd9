package model

import (
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/internal/usage"
)

// DecodeOptions configures report generation (see BeamSearch).
type DecodeOptions struct {
	Beam              int     // hypotheses per study; 1 = greedy
	MinLen            int     // EOS is forbidden before this many words
	MaxLen            int     // at most this many words (<= max_len-1); 0 = max_len-1
	RepetitionPenalty float64 // >1 penalises each distinct word already generated once (CTRL/HF); 1 = off
	LengthPenalty     float64 // α: a finished hypothesis scores logprob / (words+1)^α; 0 = plain sum
	NoRepeatNgram     int     // n > 0 bans any word that would repeat an n-gram (R2Gen's block_trigrams: 3); 0 = off
}

// DefaultDecodeOptions are the reference settings: beam 3 (R2Gen,
// PromptMRG), min length 3, length normalisation α = 1 (HF's and BLIP's
// default), trigram blocking (R2Gen's block_trigrams).
func DefaultDecodeOptions() DecodeOptions {
	return DecodeOptions{Beam: 3, MinLen: 3, RepetitionPenalty: 1.0, LengthPenalty: 1.0, NoRepeatNgram: 3}
}

// MaxWords is the number of words generation may produce at most.
func (o DecodeOptions) MaxWords(c Config) int {
	if o.MaxLen == 0 {
		return c.MaxLen - 1
	}
	return o.MaxLen
}

// Validate checks the options against the model's configuration. Its
// errors are usage errors (the options come from flags).
func (o DecodeOptions) Validate(c Config) error {
	return usage.Wrap(o.validate(c))
}

func (o DecodeOptions) validate(c Config) error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case o.Beam < 1 || o.Beam > 16:
		return errors.Errorf("beam=%d: must be in [1,16]", o.Beam)
	case o.MaxLen < 0 || o.MaxLen > c.MaxLen-1:
		return errors.Errorf("max length %d: must be in [0,%d] (0: the model's max_len-1)", o.MaxLen, c.MaxLen-1)
	case o.MinLen < 0 || o.MinLen > o.MaxWords(c):
		return errors.Errorf("min length %d: must be in [0,%d] (the maximum length)", o.MinLen, o.MaxWords(c))
	case !finite(o.RepetitionPenalty) || o.RepetitionPenalty < 1:
		return errors.Errorf("repetition penalty %g: must be a number >= 1 (1 = off)", o.RepetitionPenalty)
	case !finite(o.LengthPenalty) || o.LengthPenalty < 0 || o.LengthPenalty > 5:
		return errors.Errorf("length_penalty %g: must be in [0,5] (0 = summed log-probability)", o.LengthPenalty)
	case o.NoRepeatNgram < 0 || o.NoRepeatNgram > c.MaxLen-1:
		return errors.Errorf("no_repeat_ngram %d: must be in [0,%d] (0 = off)", o.NoRepeatNgram, c.MaxLen-1)
	}
	return nil
}

// Prediction is the model's output for one study.
type Prediction struct {
	Words      []int32         // generated word ids (no EOS)
	Labels     chexpert.Labels // predicted label states (from the diagnosis branch; blank without prompts)
	PositiveP  []float32       // predicted probability of "positive" per observation (raw logits, before adjustment)
	RawLogits  []float32       // [NumLabels*4] raw diagnosis logits (before adjustment)
	FusionAttn []float32       // [N*K] patch→concept attention, nil without fusion
}

// Generator runs inference: one compiled encoder and one compiled decoder step.
type Generator struct {
	Config  Config
	backend compute.Backend
	store   *model.Store
	encode  *model.Exec
	prefill *model.Exec // DecodePrefill: prompts, memory → log-probs, caches
	step    *model.Exec // DecodeStep: one word per row → log-probs, caches
}

// NewGenerator compiles inference graphs over the variables in store.
func NewGenerator(backend compute.Backend, store *model.Store) (*Generator, error) {
	c := ReadConfig(store)
	if c.VocabSize <= 0 {
		return nil, errors.New("model has no vocabulary (vocab_size=0)")
	}
	gen := &Generator{Config: c, backend: backend, store: store}
	var err error
	gen.encode, err = model.NewExec(backend, store, func(scope *model.Scope, images *Node) []*Node {
		ms := scope.Store().RootScope().In(ScopeName)
		out := Encode(ms, c, images)
		g := images.Graph()
		res := []*Node{out.Memory}
		if out.ClsAdjusted != nil {
			res = append(res, out.ClsAdjusted)
		} else {
			res = append(res, Zeros(g, shapeFloat(images.Shape().Dimensions[0], c.NumLabels, 4)))
		}
		if out.FusionAttn != nil {
			res = append(res, out.FusionAttn)
		} else {
			res = append(res, Zeros(g, shapeFloat(1)))
		}
		if out.ClsLogits != nil {
			res = append(res, out.ClsLogits)
		} else {
			res = append(res, Zeros(g, shapeFloat(images.Shape().Dimensions[0], c.NumLabels, 4)))
		}
		return res
	})
	if err != nil {
		return nil, err
	}
	gen.prefill, err = model.NewExec(backend, store, func(scope *model.Scope, in []*Node) []*Node {
		ms := scope.Store().RootScope().In(ScopeName)
		logp, selfKV, crossKV := DecodePrefill(ms.In("decoder"), c, in[0], in[1])
		return append(append([]*Node{logp}, selfKV...), crossKV...)
	})
	if err != nil {
		return nil, err
	}
	gen.step, err = model.NewExec(backend, store, func(scope *model.Scope, in []*Node) []*Node {
		ms := scope.Store().RootScope().In(ScopeName)
		n := 2 * c.DecLayers
		logp, kv := DecodeStep(ms.In("decoder"), c, in[0], in[1], in[2], in[3], in[4:4+n], in[4+n:4+2*n])
		return append([]*Node{logp}, kv...)
	})
	if err != nil {
		return nil, err
	}
	return gen, nil
}

// Generate produces reports for a batch of images [B, V, H, W, C], the
// decoder prompted by the diagnosis branch's predictions.
func (gen *Generator) Generate(images *tensors.Tensor, opts DecodeOptions) ([]Prediction, error) {
	return gen.GeneratePrompted(images, nil, opts)
}

// GeneratePrompted is Generate with the decoder's prompts given: prompts
// holds B*NumLabels label-state classes (chexpert.State.Class(), row-major),
// e.g. the ground truth for an oracle-prompt evaluation; nil uses the
// diagnosis branch's predictions. The returned Labels are always the
// branch's predictions.
func (gen *Generator) GeneratePrompted(images *tensors.Tensor, prompts []int32, opts DecodeOptions) (preds []Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("generation failed: %v", r)
		}
	}()
	c := gen.Config
	if err := opts.Validate(c); err != nil {
		return nil, err
	}
	b := images.Shape().Dimensions[0]
	if prompts != nil && len(prompts) != b*c.NumLabels {
		return nil, errors.Errorf("%d prompt states given for %d studies of %d labels", len(prompts), b, c.NumLabels)
	}
	outs, err := gen.encode.Exec(images)
	if err != nil {
		return nil, err
	}
	memT, attT := outs[0], outs[2]
	defer func() {
		for _, t := range outs {
			_ = t.FinalizeAll()
		}
	}()
	mdims := memT.Shape().Dimensions
	m, d := mdims[1], mdims[2]
	mem := tensors.MustCopyFlatData[float32](memT)
	preds, predicted := gen.diagnosis(b, outs[1], outs[3])
	if prompts == nil {
		prompts = predicted
	}
	if c.FusionAttn() {
		att := tensors.MustCopyFlatData[float32](attT)
		per := len(att) / b
		for i := range preds {
			preds[i].FusionAttn = att[i*per : (i+1)*per]
		}
	}

	// Beam search, all studies and beams in one batch of b*k rows.
	k := opts.Beam
	rows := b * k
	memRows := make([]float32, rows*m*d)
	promptRows := make([]int32, rows*c.NumLabels)
	for i := 0; i < b; i++ {
		for j := 0; j < k; j++ {
			r := i*k + j
			copy(memRows[r*m*d:(r+1)*m*d], mem[i*m*d:(i+1)*m*d])
			copy(promptRows[r*c.NumLabels:(r+1)*c.NumLabels], prompts[i*c.NumLabels:(i+1)*c.NumLabels])
		}
	}
	memTensor := tensors.FromFlatDataAndDimensions(memRows, rows, m, d)
	promptTensor := tensors.FromFlatDataAndDimensions(promptRows, rows, c.NumLabels)
	defer func() { _ = memTensor.FinalizeAll(); _ = promptTensor.FinalizeAll() }()

	// Incremental decoding: the prefix (BOS, prompts) once, then one word
	// per row and step, with the key/value caches passed from step to step.
	nTok := NumTokens(c.VocabSize)
	n := 2 * c.DecLayers
	var selfKV, crossKV []*tensors.Tensor
	defer func() {
		for _, t := range append(selfKV, crossKV...) {
			_ = t.FinalizeAll()
		}
	}()
	step := func(t int, hyps [][]int32, parents []int) ([]float32, error) {
		var outs []*tensors.Tensor
		var err error
		if t == 0 {
			outs, err = gen.prefill.Exec(promptTensor, memTensor)
			if err != nil {
				return nil, err
			}
			selfKV, crossKV = outs[1:1+n], outs[1+n:1+2*n]
		} else {
			words := make([]int32, rows)
			par := make([]int32, rows)
			for r, w := range hyps {
				if len(w) >= t {
					words[r] = w[t-1]
				}
				par[r] = int32(parents[r])
			}
			args := []any{tensors.FromFlatDataAndDimensions(words, rows),
				tensors.FromFlatDataAndDimensions([]int32{int32(decoderPrefix(c) + t - 1)}, 1),
				tensors.FromFlatDataAndDimensions(par, rows), promptTensor}
			for _, kv := range append(append([]*tensors.Tensor(nil), selfKV...), crossKV...) {
				args = append(args, kv)
			}
			outs, err = gen.step.Exec(args...)
			for _, a := range args[:3] {
				_ = a.(*tensors.Tensor).FinalizeAll()
			}
			if err != nil {
				return nil, err
			}
			for _, kv := range selfKV {
				_ = kv.FinalizeAll()
			}
			selfKV = outs[1 : 1+n]
		}
		lp := tensors.MustCopyFlatData[float32](outs[0])
		_ = outs[0].FinalizeAll()
		if len(lp) != rows*nTok {
			return nil, errors.Errorf("decoder step gave %d log-probabilities, want %d", len(lp), rows*nTok)
		}
		return lp, nil
	}
	words, err := BeamSearch(b, opts, nTok, BOSID(c.VocabSize), opts.MaxWords(c), step)
	if err != nil {
		return nil, err
	}
	for i := range preds {
		preds[i].Words = words[i]
	}
	return preds, nil
}

// Diagnose runs only the encoder and the diagnosis branch: the returned
// predictions have Labels, PositiveP and RawLogits, no words.
func (gen *Generator) Diagnose(images *tensors.Tensor) (preds []Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("diagnosis failed: %v", r)
		}
	}()
	outs, err := gen.encode.Exec(images)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, t := range outs {
			_ = t.FinalizeAll()
		}
	}()
	preds, _ = gen.diagnosis(images.Shape().Dimensions[0], outs[1], outs[3])
	return preds, nil
}

// diagnosis reads the adjusted and raw diagnosis logits of b studies into
// predictions and the prompt classes (argmax of the adjusted logits).
func (gen *Generator) diagnosis(b int, clsT, rawT *tensors.Tensor) ([]Prediction, []int32) {
	c := gen.Config
	cls := tensors.MustCopyFlatData[float32](clsT)
	raw := tensors.MustCopyFlatData[float32](rawT)
	preds := make([]Prediction, b)
	predicted := make([]int32, b*c.NumLabels)
	for i := 0; i < b; i++ {
		preds[i].PositiveP = make([]float32, c.NumLabels)
		preds[i].RawLogits = raw[i*c.NumLabels*4 : (i+1)*c.NumLabels*4]
		for o := 0; o < c.NumLabels; o++ {
			row := cls[(i*c.NumLabels+o)*4 : (i*c.NumLabels+o)*4+4]
			best := 0
			for s := 1; s < 4; s++ {
				if row[s] > row[best] {
					best = s
				}
			}
			predicted[i*c.NumLabels+o] = int32(best)
			preds[i].PositiveP[o] = softmax4(raw[(i*c.NumLabels+o)*4 : (i*c.NumLabels+o)*4+4])[1]
			if c.UsePrompts && o < chexpert.NumObservations {
				preds[i].Labels[o] = chexpert.State(best)
			}
		}
		if c.UsePrompts && c.NFRule && c.NumLabels == chexpert.NumObservations {
			row := predicted[i*c.NumLabels : (i+1)*c.NumLabels]
			copy(row, ConsistentLabels(cls[i*c.NumLabels*4:(i+1)*c.NumLabels*4]))
			for o, cl := range row {
				preds[i].Labels[o] = chexpert.State(cl)
			}
		}
	}
	return preds, predicted
}

// FusionAttn reports whether the model produces patch→concept attention.
func (c Config) FusionAttn() bool { return c.UseGraph && c.UseFusion }

func topK(scores []float64, k int) []int {
	idx := make([]int, 0, k+1)
	for v, s := range scores {
		if math.IsInf(s, -1) {
			continue
		}
		pos := len(idx)
		for pos > 0 && scores[idx[pos-1]] < s {
			pos--
		}
		if pos >= k {
			continue
		}
		idx = append(idx, 0)
		copy(idx[pos+1:], idx[pos:])
		idx[pos] = v
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}

func softmax4(row []float32) [4]float32 {
	mx := row[0]
	for _, v := range row[1:] {
		mx = max(mx, v)
	}
	var out [4]float32
	var sum float32
	for i, v := range row[:4] {
		out[i] = float32(math.Exp(float64(v - mx)))
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
