// Package eval generates reports for a split with a trained model and scores
// them: NLG metrics (coco-caption definitions) and clinical efficacy from the
// rule labeler, three averagings. Training uses it for validation; `mrg eval`
// and the demo for test results.
package eval

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/labeler"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
	"github.com/mrgkit/mrgkit/mrgkit/model"
)

// Study is one evaluated study.
type Study struct {
	ID        string          `json:"id"`
	Generated string          `json:"generated"`
	Reference string          `json:"reference"`
	GenLabels chexpert.Labels `json:"generated_labels"` // labeler on the generated report
	RefLabels chexpert.Labels `json:"reference_labels"` // labeler on the reference report
	TrueState chexpert.Labels `json:"-"`                // label classes fed to training (truth, or the labeler's reading of the reference)
	Predicted chexpert.Labels `json:"predicted_labels"` // diagnosis branch
	// TrueLabels are the annotation's ground-truth labels (nil without).
	TrueLabels *chexpert.Labels `json:"true_labels,omitempty"`
	// PromptLabels are the states the decoder was prompted with.
	PromptLabels chexpert.Labels `json:"-"`
	PositiveP    []float32       `json:"-"`
}

// Prompt sources of Options.Prompts.
const (
	PromptsPredicted = "predicted" // the diagnosis branch's predictions (the method)
	PromptsTruth     = "truth"     // the ground-truth labels: oracle-prompt evaluation
)

// Result is the evaluation of one split.
type Result struct {
	Split   string         `json:"split"`
	Prompts string         `json:"prompts"` // PromptsPredicted or PromptsTruth
	NLG     metrics.Scores `json:"nlg"`
	CE      metrics.CE     `json:"ce"`
	Seconds float64        `json:"seconds"`
	Studies []Study        `json:"studies"`
	// Faithfulness: diagnosis and text against the truth, text against the
	// prompts, repetition and length.
	Faithfulness Faithfulness `json:"faithfulness"`
	// Flat holds the NLG keys, ce_{micro,macro,example}_{precision,recall,f1}
	// and the faithfulness figures (diag_*, text_*, faith_*, repeated_sentence_rate, ...).
	Flat map[string]float64 `json:"metrics"`
}

// Options configures Evaluate.
type Options struct {
	Split    string
	Decode   model.DecodeOptions
	Limit    int       // evaluate at most this many batches (0: all)
	Progress io.Writer // nil: silent
	// NoMETEOR skips METEOR (slower than the other metrics) for per-epoch validation.
	NoMETEOR bool
	// Prompts is PromptsPredicted (default, "") or PromptsTruth: the decoder
	// is prompted with the ground-truth labels, which every study must have.
	Prompts string
}

// Evaluate generates a report for every study of the loader and scores them.
// refs maps study id to its cleaned reference report.
func Evaluate(gen *model.Generator, loader *data.Loader, vocab *data.Vocab, refs map[string]string, opts Options) (*Result, error) {
	start := time.Now()
	switch opts.Prompts {
	case "":
		opts.Prompts = PromptsPredicted
	case PromptsPredicted, PromptsTruth:
	default:
		return nil, errors.Errorf("prompts %q: must be %q or %q", opts.Prompts, PromptsPredicted, PromptsTruth)
	}
	res := &Result{Split: opts.Split, Prompts: opts.Prompts}
	truthAll := true
	n := 0
	total := loader.Len()
	if opts.Limit > 0 && opts.Limit < total {
		total = opts.Limit
	}
	for batch, err := range loader.Epoch(0) {
		if err != nil {
			return nil, err
		}
		if opts.Limit > 0 && n >= opts.Limit {
			batch.Finalize()
			break
		}
		truth := tensors.MustCopyFlatData[int32](batch.Labels)
		nl := batch.Labels.Shape().Dimensions[1]
		var prompts []int32
		if opts.Prompts == PromptsTruth {
			for i, ok := range batch.Annotated {
				if !ok {
					batch.Finalize()
					return nil, errors.Errorf("-prompts truth: split %q has studies without ground-truth labels in the annotation (first: %q)", opts.Split, batch.IDs[i])
				}
			}
			if nl != gen.Config.NumLabels {
				batch.Finalize()
				return nil, errors.Errorf("-prompts truth: the data has %d labels per study, the model %d", nl, gen.Config.NumLabels)
			}
			prompts = truth
		}
		preds, err := gen.GeneratePrompted(batch.Images, prompts, opts.Decode)
		if err != nil {
			batch.Finalize()
			return nil, err
		}
		for i, p := range preds {
			id := batch.IDs[i]
			st := Study{ID: id, Generated: vocab.Decode(p.Words), Reference: refs[id], Predicted: p.Labels, PositiveP: p.PositiveP}
			for o := 0; o < nl && o < chexpert.NumObservations; o++ {
				st.TrueState[o] = chexpert.State(truth[i*nl+o])
			}
			st.PromptLabels = st.Predicted
			if batch.Annotated[i] {
				t := st.TrueState
				st.TrueLabels = &t
				if prompts != nil {
					st.PromptLabels = t
				}
			} else {
				truthAll = false
			}
			res.Studies = append(res.Studies, st)
		}
		batch.Finalize()
		n++
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "\r  %s: generating %d/%d batches", opts.Split, n, total)
		}
	}
	if opts.Progress != nil {
		fmt.Fprintln(opts.Progress)
	}
	if len(res.Studies) == 0 {
		return nil, errors.Errorf("split %q has no studies to evaluate", opts.Split)
	}
	sort.Slice(res.Studies, func(a, b int) bool { return res.Studies[a].ID < res.Studies[b].ID })
	if err := res.score(opts.NoMETEOR); err != nil {
		return nil, err
	}
	res.Faithfulness = faithfulness(res.Studies, gen.Config.UsePrompts, truthAll)
	res.Faithfulness.flat(res.Flat)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// score fills NLG, CE and Flat from Studies.
func (res *Result) score(noMeteor bool) error {
	gts := make(map[string][]string, len(res.Studies))
	hyps := make(map[string][]string, len(res.Studies))
	refLabels := make([]chexpert.Labels, len(res.Studies))
	genLabels := make([]chexpert.Labels, len(res.Studies))
	for i := range res.Studies {
		s := &res.Studies[i]
		gts[s.ID] = []string{s.Reference}
		hyps[s.ID] = []string{s.Generated}
		s.RefLabels = labeler.Label(s.Reference)
		s.GenLabels = labeler.Label(s.Generated)
		refLabels[i], genLabels[i] = s.RefLabels, s.GenLabels
	}
	var err error
	if noMeteor {
		res.NLG, err = metrics.ScoreNLG(gts, hyps)
	} else {
		res.NLG, err = metrics.Score(gts, hyps)
	}
	if err != nil {
		return errors.Wrap(err, "scoring generated reports")
	}
	res.CE, err = metrics.ClinicalEfficacy(refLabels, genLabels)
	if err != nil {
		return errors.Wrap(err, "clinical efficacy")
	}
	res.Flat = Flatten(res.NLG, res.CE)
	return nil
}

// Flatten puts NLG scores and clinical efficacy into one map: the NLG keys
// plus ce_{micro,macro,example}_{precision,recall,f1}.
func Flatten(nlg metrics.Scores, ce metrics.CE) map[string]float64 {
	m := make(map[string]float64, len(nlg)+9)
	for k, v := range nlg {
		m[k] = v
	}
	for name, prf := range map[string]metrics.PRF{"micro": ce.Micro, "macro": ce.Macro, "example": ce.Example} {
		m["ce_"+name+"_precision"] = prf.Precision
		m["ce_"+name+"_recall"] = prf.Recall
		m["ce_"+name+"_f1"] = prf.F1
	}
	return m
}
