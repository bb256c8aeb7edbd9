package model

import (
	"math"
	"sort"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// DecodeOptions configures report generation.
type DecodeOptions struct {
	Beam              int     // 1 = greedy
	MinLen            int     // EOS is forbidden before this many words
	MaxLen            int     // at most this many words (<= max_len-1); 0 = max_len-1
	RepetitionPenalty float64 // >1 penalises words already generated (CTRL-style); 1 = off
	LengthPenalty     float64 // beam score = logprob / len^LengthPenalty; 0 = plain sum
}

// DefaultDecodeOptions are the reference settings: beam 3, min length 3.
func DefaultDecodeOptions() DecodeOptions {
	return DecodeOptions{Beam: 3, MinLen: 3, RepetitionPenalty: 1.0, LengthPenalty: 0}
}

// Validate checks the options.
func (o DecodeOptions) Validate(c Config) error {
	switch {
	case o.Beam < 1 || o.Beam > 16:
		return errors.Errorf("beam=%d: must be in [1,16]", o.Beam)
	case o.MinLen < 0:
		return errors.Errorf("min length %d: must be >= 0", o.MinLen)
	case o.MaxLen < 0 || o.MaxLen > c.MaxLen-1:
		return errors.Errorf("max length %d: must be in [0,%d]", o.MaxLen, c.MaxLen-1)
	case o.RepetitionPenalty < 1:
		return errors.Errorf("repetition penalty %g: must be >= 1", o.RepetitionPenalty)
	}
	return nil
}

// Prediction is the model's output for one study.
type Prediction struct {
	Words      []int32         // generated word ids (no EOS)
	Labels     chexpert.Labels // predicted label states (from the diagnosis branch; blank without prompts)
	PositiveP  []float32       // predicted probability of "positive" per observation (raw logits, before adjustment)
	FusionAttn []float32       // [N*K] patch→concept attention, nil without fusion
}

// Generator runs inference: one compiled encoder and one compiled decoder step.
type Generator struct {
	Config  Config
	backend compute.Backend
	store   *model.Store
	encode  *model.Exec
	decode  *model.Exec
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
	gen.decode, err = model.NewExec(backend, store, func(scope *model.Scope, memory, prompts, words *Node) *Node {
		ms := scope.Store().RootScope().In(ScopeName)
		logits := Decode(ms.In("decoder"), c, words, prompts, memory)
		return LogSoftmax(logits, -1)
	})
	if err != nil {
		return nil, err
	}
	return gen, nil
}

// Generate produces reports for a batch of images [B, V, H, W, C].
func (gen *Generator) Generate(images *tensors.Tensor, opts DecodeOptions) (preds []Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("generation failed: %v", r)
		}
	}()
	c := gen.Config
	if err := opts.Validate(c); err != nil {
		return nil, err
	}
	maxWords := opts.MaxLen
	if maxWords == 0 {
		maxWords = c.MaxLen - 1
	}
	outs, err := gen.encode.Exec(images)
	if err != nil {
		return nil, err
	}
	memT, clsT, attT, rawT := outs[0], outs[1], outs[2], outs[3]
	defer func() {
		for _, t := range outs {
			_ = t.FinalizeAll()
		}
	}()
	b := images.Shape().Dimensions[0]
	mdims := memT.Shape().Dimensions
	m, d := mdims[1], mdims[2]
	mem := tensors.MustCopyFlatData[float32](memT)
	cls := tensors.MustCopyFlatData[float32](clsT)
	raw := tensors.MustCopyFlatData[float32](rawT)

	preds = make([]Prediction, b)
	prompts := make([]int32, b*c.NumLabels)
	for i := 0; i < b; i++ {
		preds[i].PositiveP = make([]float32, c.NumLabels)
		for o := 0; o < c.NumLabels; o++ {
			row := cls[(i*c.NumLabels+o)*4 : (i*c.NumLabels+o)*4+4]
			best := 0
			for s := 1; s < 4; s++ {
				if row[s] > row[best] {
					best = s
				}
			}
			prompts[i*c.NumLabels+o] = int32(best)
			preds[i].PositiveP[o] = softmax4(raw[(i*c.NumLabels+o)*4 : (i*c.NumLabels+o)*4+4])[1]
			if c.UsePrompts && o < chexpert.NumObservations {
				preds[i].Labels[o] = chexpert.State(best)
			}
		}
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

	type hyp struct {
		words []int32
		score float64 // sum of log-probs
		done  bool
	}
	beams := make([][]hyp, b)
	for i := range beams {
		beams[i] = []hyp{{}} // one live hypothesis to start (avoids k identical beams)
	}
	finished := make([][]hyp, b)
	nTok := NumTokens(c.VocabSize)
	for t := 0; t <= maxWords; t++ {
		allDone := true
		for i := range beams {
			if len(beams[i]) > 0 {
				allDone = false
			}
		}
		if allDone {
			break
		}
		// Only the words generated so far are fed, padded to a bucket of 16
		// so that a few compiled shapes serve every step.
		width := min(c.MaxLen-1, max(1, (t+16)/16*16))
		words := make([]int32, rows*width)
		for i := 0; i < b; i++ {
			for j, h := range beams[i] {
				r := i*k + j
				copy(words[r*width:], h.words)
			}
		}
		wt := tensors.FromFlatDataAndDimensions(words, rows, width)
		lpT, err := gen.decode.Exec1(memTensor, promptTensor, wt)
		_ = wt.FinalizeAll()
		if err != nil {
			return nil, err
		}
		lp := tensors.MustCopyFlatData[float32](lpT)
		_ = lpT.FinalizeAll()
		for i := 0; i < b; i++ {
			type cand struct {
				parent int
				tok    int32
				score  float64
			}
			var cands []cand
			for j, h := range beams[i] {
				r := i*k + j
				row := lp[(r*(width+1)+t)*nTok : (r*(width+1)+t+1)*nTok]
				scores := make([]float64, nTok)
				for v := 0; v < nTok; v++ {
					s := float64(row[v])
					if v == BOSID(c.VocabSize) {
						s = math.Inf(-1)
					}
					if v == EOSID && t < opts.MinLen {
						s = math.Inf(-1)
					}
					if v != EOSID && t == maxWords {
						s = math.Inf(-1) // must end here
					}
					scores[v] = s
				}
				if opts.RepetitionPenalty > 1 {
					for _, w := range h.words {
						if scores[w] < 0 {
							scores[w] *= opts.RepetitionPenalty
						} else {
							scores[w] /= opts.RepetitionPenalty
						}
					}
				}
				for _, v := range topK(scores, k) {
					cands = append(cands, cand{j, int32(v), h.score + scores[v]})
				}
			}
			sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
			var next []hyp
			for _, cd := range cands {
				if math.IsInf(cd.score, -1) {
					continue
				}
				parent := beams[i][cd.parent]
				if cd.tok == EOSID {
					finished[i] = append(finished[i], hyp{words: append([]int32(nil), parent.words...), score: cd.score, done: true})
				} else if len(next) < k {
					w := append(append([]int32(nil), parent.words...), cd.tok)
					next = append(next, hyp{words: w, score: cd.score})
				}
				if len(next) >= k {
					break
				}
			}
			// Stop a study once k hypotheses finished and none alive can beat them.
			if len(finished[i]) >= k {
				next = nil
			}
			beams[i] = next
		}
	}
	for i := 0; i < b; i++ {
		cands := append(finished[i], beams[i]...)
		best, bestScore := -1, math.Inf(-1)
		for j, h := range cands {
			s := h.score
			if opts.LengthPenalty > 0 {
				s /= math.Pow(float64(max(1, len(h.words))), opts.LengthPenalty)
			}
			if s > bestScore {
				best, bestScore = j, s
			}
		}
		if best >= 0 {
			preds[i].Words = cands[best].words
		}
	}
	return preds, nil
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
