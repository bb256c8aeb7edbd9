package notebook

import (
	"fmt"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/eval"
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
