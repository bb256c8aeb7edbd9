package plots

import (
	"fmt"

	"github.com/mrgkit/mrgkit/mrgkit/internal/markdown"
)

// tableMetrics orders the rows of MetricsTable: the usual NLG metrics, then
// clinical efficacy (precision, recall, F1), then the others alphabetically.
var tableMetrics = []string{"BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr",
	"ce_micro_precision", "ce_micro_recall", "ce_micro_f1",
	"ce_macro_precision", "ce_macro_recall", "ce_macro_f1",
	"ce_example_precision", "ce_example_recall", "ce_example_f1"}

// MetricsTable renders named metric sets (e.g. "teacher" → its test
// metrics) as a Markdown table with one row per metric and one column per
// set, in the given column order; missing values show "–".
func MetricsTable(columns []string, sets map[string]map[string]float64) string {
	present := map[string]bool{}
	for _, c := range columns {
		for k := range sets[c] {
			present[k] = true
		}
	}
	var rows [][]string
	for _, k := range orderKeys(tableMetrics, present) {
		row := []string{k}
		for _, c := range columns {
			if v, ok := sets[c][k]; ok {
				row = append(row, fmt.Sprintf("%.4f", v))
			} else {
				row = append(row, "–")
			}
		}
		rows = append(rows, row)
	}
	return markdown.Table(append([]string{"metric"}, columns...), rows)
}
