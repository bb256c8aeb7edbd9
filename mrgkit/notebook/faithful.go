package notebook

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// FaithfulnessTable formats a result's faithfulness figures (see
// eval.Faithfulness) as a markdown table: per observation the F1 (and the
// number of positives called) of the diagnosis branch against the truth, of
// the generated text against the truth and of the text against the
// decoder's prompts, then the micro averages, then repetition and length.
func FaithfulnessTable(res *eval.Result) string {
	f := res.Faithfulness
	cols := []struct {
		name string
		a    *eval.Agreement
	}{{"diagnosis vs truth", f.Diagnosis}, {"text vs truth", f.Text}, {"text vs prompts", f.Prompts}}
	header := []string{"observation"}
	for _, c := range cols {
		if c.a != nil {
			header = append(header, c.name+": F1 (called)")
		}
	}
	var rows [][]string
	for _, o := range chexpert.Observations {
		row := []string{o}
		for _, c := range cols {
			if c.a != nil {
				s := c.a.PerLabel[o]
				row = append(row, fmt.Sprintf("%.2f (%d)", s.F1, s.Predicted))
			}
		}
		rows = append(rows, row)
	}
	for _, m := range []string{"micro", "micro without No Finding"} {
		row := []string{"**" + m + "**"}
		for _, c := range cols {
			if c.a != nil {
				p := c.a.Micro
				if m != "micro" {
					p = c.a.MicroNoFinding
				}
				row = append(row, fmt.Sprintf("**%.3f** (P %.2f, R %.2f)", p.F1, p.Precision, p.Recall))
			}
		}
		rows = append(rows, row)
	}
	return fmt.Sprintf("Faithfulness on the %s split (%d studies, prompts: %s)\n\n", res.Split, f.Studies, res.Prompts) +
		MarkdownTable(header, rows) +
		fmt.Sprintf("\nReports with a repeated sentence: %.1f%% (references %.1f%%); %d distinct reports; mean length %.1f words (references %.1f).\n",
			100*f.RepeatedSentence, 100*f.RefRepeatedSentence, f.DistinctReports, f.MeanWords, f.MeanRefWords)
}

// Omission is a study whose generated report leaves out a finding that
// the diagnosis branch predicted: the decoder was prompted with it, and
// the labeler does not find it in the text.
type Omission struct {
	Study   *eval.Study
	Omitted []string // predicted positive, not positive in the text
}

// Omissions returns up to n studies of res whose report omits a finding
// the diagnosis branch predicted positive ("No Finding" aside), in split
// order, the ones that omit more first.
func Omissions(res *eval.Result, n int) []Omission {
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

// ShowOmissions displays how many studies of res omit a predicted finding
// and up to n of them: the omitted findings, what the branch predicted, what
// the text says, the truth, and the generated and reference reports.
func ShowOmissions(res *eval.Result, n int) {
	all := Omissions(res, 0)
	Markdown(fmt.Sprintf("**%d of %d studies** (%s split) have a report that omits a finding the diagnosis branch predicted.",
		len(all), len(res.Studies), res.Split))
	if n > 0 && len(all) > n {
		all = all[:n]
	}
	for _, o := range all {
		s := o.Study
		truth := "no ground truth"
		if s.TrueLabels != nil {
			truth = Positives(s.TrueLabels)
		}
		Markdown(fmt.Sprintf("**%s** — omitted: **%s**\n\n- diagnosis branch: %s\n- generated text: %s\n- truth: %s\n\n> generated: %s\n>\n> reference: %s\n",
			s.ID, strings.Join(o.Omitted, ", "), Positives(&s.Predicted), Positives(&s.GenLabels), truth, s.Generated, s.Reference))
	}
}

// EvalResult reads the per-study results a run's evaluation saved
// (RUN/eval_<split>[_<prompts>]/reports.json, prompts "" or "truth"); a
// missing file is a MissingError saying how to make it.
func EvalResult(rdir, split, prompts string) (*eval.Result, error) {
	path := filepath.Join(run.Dir(rdir).Eval(split, prompts), run.ReportsFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, &MissingError{What: "evaluation", Path: path,
			Fix: fmt.Sprintf("evaluate the run first (`mrg eval -run %s -split %s`, or the evaluation cell above)", rdir, split)}
	}
	if err != nil {
		return nil, errors.Wrap(err, "notebook: reading the evaluation")
	}
	res := &eval.Result{Split: split, Prompts: prompts}
	if err := json.Unmarshal(b, &res.Studies); err != nil {
		return nil, errors.Errorf("notebook: %s: not a list of studies: %v", path, err)
	}
	return res, nil
}
