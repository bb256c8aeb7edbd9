package notebook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/eval"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// FaithfulnessTable is eval.FaithfulnessMarkdown: a result's faithfulness
// figures as a markdown table.
func FaithfulnessTable(res *eval.Result) string { return eval.FaithfulnessMarkdown(res) }

// ShowOmissions displays how many studies of res omit a predicted finding
// (eval.Omissions) and up to n of them: the omitted findings, what the branch predicted, what
// the text says, the truth, and the generated and reference reports.
func ShowOmissions(res *eval.Result, n int) {
	all := eval.Omissions(res, 0)
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
	studies, err := run.ReadReports(path)
	if os.IsNotExist(err) {
		return nil, &MissingError{What: "evaluation", Path: path,
			Fix: fmt.Sprintf("evaluate the run first (`mrg eval -run %s -split %s`, or the evaluation cell above)", rdir, split)}
	}
	if err != nil {
		return nil, errors.Wrap(err, "notebook: reading the evaluation")
	}
	return &eval.Result{Split: split, Prompts: prompts, Studies: studies}, nil
}
