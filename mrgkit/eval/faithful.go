package eval

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/internal/markdown"
	"github.com/mrgkit/mrgkit/mrgkit/metrics"
)

// LabelScore is one observation's agreement on "positive": counts and P/R/F1.
type LabelScore struct {
	metrics.Counts
	metrics.PRF
	Predicted int `json:"predicted"` // positives on the predicting side (tp+fp)
}

// Agreement compares positive labels of a predicting side with a reference
// side over the same studies (only Positive counts, as in clinical efficacy).
type Agreement struct {
	Micro metrics.PRF `json:"micro"`
	// MicroNoFinding is micro P/R/F1 over the 13 observations other than No Finding.
	MicroNoFinding metrics.PRF           `json:"micro_without_no_finding"`
	PerLabel       map[string]LabelScore `json:"per_label"`
	// MinPrecision10 is the lowest precision of an observation predicted
	// positive more than 10 times (1 when there is none): how badly the
	// predicting side floods a label with positives.
	MinPrecision10 float64 `json:"min_precision_over_10"`
}

// Agree computes the Agreement of pred against ref.
func Agree(ref, pred []chexpert.Labels) Agreement {
	var per [chexpert.NumObservations]metrics.Counts
	for i := range ref {
		for o := range chexpert.NumObservations {
			r, p := ref[i][o] == chexpert.Positive, pred[i][o] == chexpert.Positive
			switch {
			case r && p:
				per[o].TP++
			case p:
				per[o].FP++
			case r:
				per[o].FN++
			}
		}
	}
	a := Agreement{PerLabel: map[string]LabelScore{}, MinPrecision10: 1}
	var all, noNF metrics.Counts
	for o, c := range per {
		s := LabelScore{Counts: c, PRF: metrics.PRFOf(c), Predicted: c.TP + c.FP}
		a.PerLabel[chexpert.Observations[o]] = s
		if s.Predicted > 10 && s.Precision < a.MinPrecision10 {
			a.MinPrecision10 = s.Precision
		}
		all.TP, all.FP, all.FN = all.TP+c.TP, all.FP+c.FP, all.FN+c.FN
		if o != chexpert.NoFinding {
			noNF.TP, noNF.FP, noNF.FN = noNF.TP+c.TP, noNF.FP+c.FP, noNF.FN+c.FN
		}
	}
	a.Micro, a.MicroNoFinding = metrics.PRFOf(all), metrics.PRFOf(noNF)
	return a
}

// Faithfulness says whether the reports state what the model sees.
type Faithfulness struct {
	// With ground-truth labels (nil without): the diagnosis branch against
	// the truth, and the labeler's reading of the generated text against it.
	Diagnosis *Agreement `json:"diagnosis_vs_truth,omitempty"`
	Text      *Agreement `json:"text_vs_truth,omitempty"`
	// Prompts: the text against the label states the decoder was prompted
	// with (the branch's predictions, or the truth in an oracle-prompt
	// evaluation); nil for a model without prompts.
	Prompts *Agreement `json:"text_vs_prompts,omitempty"`
	// Repetition and length.
	RepeatedSentence    float64 `json:"repeated_sentence_rate"`           // reports with a sentence stated twice
	RefRepeatedSentence float64 `json:"reference_repeated_sentence_rate"` // the same for the references
	DistinctReports     int     `json:"distinct_reports"`
	Studies             int     `json:"studies"`
	MeanWords           float64 `json:"mean_words"`
	MeanRefWords        float64 `json:"mean_reference_words"`
}

// HasRepeatedSentence reports whether a cleaned report (sentences separated
// by " . ") states one sentence twice.
func HasRepeatedSentence(report string) bool {
	seen := map[string]bool{}
	for _, s := range strings.Split(report, ".") {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			continue
		}
		if seen[s] {
			return true
		}
		seen[s] = true
	}
	return false
}

// words counts a cleaned report's tokens, the sentence marks excluded.
func words(report string) int {
	n := 0
	for _, w := range strings.Fields(report) {
		if w != "." {
			n++
		}
	}
	return n
}

// faithfulness computes the diagnostics from scored studies (GenLabels set).
// prompted says whether the decoder was prompted; truthAll whether every
// study has ground-truth labels.
func faithfulness(studies []Study, prompted, truthAll bool) Faithfulness {
	f := Faithfulness{Studies: len(studies)}
	n := float64(len(studies))
	distinct := map[string]bool{}
	var truth, diag, text, prompts []chexpert.Labels
	for _, s := range studies {
		if HasRepeatedSentence(s.Generated) {
			f.RepeatedSentence++
		}
		if HasRepeatedSentence(s.Reference) {
			f.RefRepeatedSentence++
		}
		distinct[s.Generated] = true
		f.MeanWords += float64(words(s.Generated))
		f.MeanRefWords += float64(words(s.Reference))
		text = append(text, s.GenLabels)
		diag = append(diag, s.Predicted)
		prompts = append(prompts, s.PromptLabels)
		if s.TrueLabels != nil {
			truth = append(truth, *s.TrueLabels)
		}
	}
	f.RepeatedSentence /= n
	f.RefRepeatedSentence /= n
	f.MeanWords /= n
	f.MeanRefWords /= n
	f.DistinctReports = len(distinct)
	if truthAll {
		t, d := Agree(truth, text), Agree(truth, diag)
		f.Text = &t
		if prompted {
			f.Diagnosis = &d
		}
	}
	if prompted {
		p := Agree(prompts, text)
		f.Prompts = &p
	}
	return f
}

// flat adds the faithfulness figures to a flat metric map.
func (f Faithfulness) flat(m map[string]float64) {
	put := func(prefix string, a *Agreement) {
		if a == nil {
			return
		}
		m[prefix+"_micro_precision"] = a.Micro.Precision
		m[prefix+"_micro_recall"] = a.Micro.Recall
		m[prefix+"_micro_f1"] = a.Micro.F1
		m[prefix+"_micro_f1_no_nf"] = a.MicroNoFinding.F1
		m[prefix+"_min_precision_over_10"] = a.MinPrecision10
	}
	put("diag", f.Diagnosis)
	put("text", f.Text)
	put("faith", f.Prompts)
	m["repeated_sentence_rate"] = f.RepeatedSentence
	m["distinct_reports"] = float64(f.DistinctReports)
	m["mean_words"] = f.MeanWords
	m["mean_ref_words"] = f.MeanRefWords
}

// FaithfulnessKeys are the flat metric keys of the faithfulness figures, in
// table order.
var FaithfulnessKeys = []string{"diag_micro_f1", "text_micro_f1", "text_micro_f1_no_nf", "faith_micro_f1", "repeated_sentence_rate", "mean_words"}

// agreementColumn is one column of the faithfulness tables.
type agreementColumn struct {
	name string
	a    *Agreement
}

// columns are the agreements a result has, in table order: the diagnosis
// branch and the text against the truth, the text against the prompts.
func (f Faithfulness) columns() []agreementColumn {
	var cols []agreementColumn
	for _, c := range []agreementColumn{{"diagnosis vs truth", f.Diagnosis}, {"text vs truth", f.Text}, {"text vs prompts", f.Prompts}} {
		if c.a != nil {
			cols = append(cols, c)
		}
	}
	return cols
}

// microRows are the two average rows of the faithfulness tables.
var microRows = []struct {
	name string
	get  func(*Agreement) metrics.PRF
}{{"micro", func(a *Agreement) metrics.PRF { return a.Micro }}, {"micro without No Finding", func(a *Agreement) metrics.PRF { return a.MicroNoFinding }}}

// WriteFaithfulness prints the faithfulness figures of a result as a table:
// per observation, the diagnosis branch and the text against the truth and
// the text against the prompts (F1, with precision/recall), then the micro
// averages and the repetition and length figures.
func WriteFaithfulness(w io.Writer, res *Result) {
	f := res.Faithfulness
	fmt.Fprintf(w, "faithfulness (%s split, %d studies, prompts: %s); positive labels, F1 (P/R)\n", res.Split, f.Studies, res.Prompts)
	cols := f.columns()
	fmt.Fprintf(w, "  %-27s", "observation")
	for _, c := range cols {
		fmt.Fprintf(w, " %-22s", c.name)
	}
	fmt.Fprintln(w)
	cell := func(s LabelScore) string {
		return fmt.Sprintf("%.2f (%.2f/%.2f) %3d", s.F1, s.Precision, s.Recall, s.Predicted)
	}
	for _, o := range chexpert.Observations {
		fmt.Fprintf(w, "  %-27s", o)
		for _, c := range cols {
			fmt.Fprintf(w, " %-22s", cell(c.a.PerLabel[o]))
		}
		fmt.Fprintln(w)
	}
	for _, row := range microRows {
		fmt.Fprintf(w, "  %-27s", row.name)
		for _, c := range cols {
			p := row.get(c.a)
			fmt.Fprintf(w, " %-22s", fmt.Sprintf("%.3f (%.2f/%.2f)", p.F1, p.Precision, p.Recall))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  (the last number of a cell: positives predicted; lowest precision of a label predicted > 10 times:")
	for _, c := range cols {
		fmt.Fprintf(w, " %s %.2f;", c.name, c.a.MinPrecision10)
	}
	fmt.Fprintln(w, ")")
	fmt.Fprintf(w, "  reports with a repeated sentence %.1f%% (references %.1f%%); %d distinct reports of %d; mean length %.1f words (references %.1f)\n",
		100*f.RepeatedSentence, 100*f.RefRepeatedSentence, f.DistinctReports, f.Studies, f.MeanWords, f.MeanRefWords)
}

// FaithfulnessMarkdown formats a result's faithfulness figures as a
// Markdown table (WriteFaithfulness's, for a notebook): per observation the
// F1 (and the number of positives called) of the diagnosis branch against
// the truth, of the generated text against the truth and of the text
// against the decoder's prompts, then the micro averages, then repetition
// and length.
func FaithfulnessMarkdown(res *Result) string {
	f := res.Faithfulness
	cols := f.columns()
	header := []string{"observation"}
	for _, c := range cols {
		header = append(header, c.name+": F1 (called)")
	}
	var rows [][]string
	for _, o := range chexpert.Observations {
		row := []string{o}
		for _, c := range cols {
			s := c.a.PerLabel[o]
			row = append(row, fmt.Sprintf("%.2f (%d)", s.F1, s.Predicted))
		}
		rows = append(rows, row)
	}
	for _, m := range microRows {
		row := []string{"**" + m.name + "**"}
		for _, c := range cols {
			p := m.get(c.a)
			row = append(row, fmt.Sprintf("**%.3f** (P %.2f, R %.2f)", p.F1, p.Precision, p.Recall))
		}
		rows = append(rows, row)
	}
	return fmt.Sprintf("Faithfulness on the %s split (%d studies, prompts: %s)\n\n", res.Split, f.Studies, res.Prompts) +
		markdown.Table(header, rows) +
		fmt.Sprintf("\nReports with a repeated sentence: %.1f%% (references %.1f%%); %d distinct reports; mean length %.1f words (references %.1f).\n",
			100*f.RepeatedSentence, 100*f.RefRepeatedSentence, f.DistinctReports, f.MeanWords, f.MeanRefWords)
}

// Omission is a study whose generated report leaves out a finding that
// the diagnosis branch predicted: the decoder was prompted with it, and
// the labeler does not find it in the text.
type Omission struct {
	Study   *Study
	Omitted []string // predicted positive, not positive in the text
}

// Omissions returns up to n (n <= 0: all) studies of res whose report omits
// a finding the diagnosis branch predicted positive ("No Finding" aside),
// in split order, the ones that omit more first.
func Omissions(res *Result, n int) []Omission {
	var out []Omission
	for i := range res.Studies {
		s := &res.Studies[i]
		var omitted []string
		for k, o := range chexpert.Observations {
			if k == chexpert.NoFinding {
				continue
			}
			if s.Predicted[k] == chexpert.Positive && s.GenLabels[k] != chexpert.Positive {
				omitted = append(omitted, o)
			}
		}
		if len(omitted) > 0 {
			out = append(out, Omission{Study: s, Omitted: omitted})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Omitted) > len(out[j].Omitted) })
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
