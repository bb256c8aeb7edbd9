package notebook

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// RunsEnv overrides where notebook training runs go (default
// <root>/runs/notebooks); the notebook test points it at a temporary directory.
const RunsEnv = "MRGKIT_RUNS"

// RunDir returns the directory of a notebook's training run:
// <root>/runs/notebooks/<name> ($MRGKIT_RUNS/<name> if set), with a
// "_smoke" suffix in smoke mode so that smoke and full runs never mix.
// The directory is not created (training creates it).
func RunDir(name string) (string, error) {
	base := os.Getenv(RunsEnv)
	if base == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		base = filepath.Join(root, "runs", "notebooks")
	}
	if Smoke() {
		name += "_smoke"
	}
	return filepath.Join(base, name), nil
}

// Exists reports whether path exists.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// metricOrder orders metric keys: the usual NLG metrics, then CE, then others.
var metricOrder = []string{"BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr",
	"ce_micro_precision", "ce_micro_recall", "ce_micro_f1",
	"ce_macro_precision", "ce_macro_recall", "ce_macro_f1",
	"ce_example_precision", "ce_example_recall", "ce_example_f1"}

// MetricsTable renders named metric sets (e.g. "teacher" → its metrics) as
// a markdown table with one row per metric and one column per set, in the
// given column order; missing values show "–".
func MetricsTable(columns []string, sets map[string]map[string]float64) string {
	seen := map[string]bool{}
	var keys []string
	for _, k := range metricOrder {
		for _, c := range columns {
			if _, ok := sets[c][k]; ok && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	var rest []string
	for _, c := range columns {
		for k := range sets[c] {
			if !seen[k] {
				seen[k] = true
				rest = append(rest, k)
			}
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var rows [][]string
	for _, k := range keys {
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
	return MarkdownTable(append([]string{"metric"}, columns...), rows)
}

// ShowReportPair displays a generated report beside its reference, each
// with its positive findings (e.g. from the labeler); outside a notebook it
// prints them.
func ShowReportPair(id, generated, reference string, genLabels, refLabels *chexpert.Labels) {
	g, r := Positives(genLabels), Positives(refLabels)
	if !InNotebook() {
		fmt.Fprintf(Out, "%s\n  generated: %s\n    [%s]\n  reference: %s\n    [%s]\n", id, generated, g, reference, r)
		return
	}
	cell := func(title, text, labels string) string {
		return fmt.Sprintf(`<td style="vertical-align:top;width:50%%;text-align:left"><b>%s</b><p>%s</p><p><i>%s</i></p></td>`,
			title, html.EscapeString(text), html.EscapeString(labels))
	}
	gonbui.DisplayHtml(fmt.Sprintf(`<table style="width:100%%;border-collapse:collapse"><caption style="text-align:left">%s</caption><tr>%s%s</tr></table>`,
		html.EscapeString(id), cell("generated", generated, g), cell("reference", reference, r)))
}

// Positives lists the positive observations of a label vector ("none"
// when there is none, "no labels" for nil).
func Positives(l *chexpert.Labels) string {
	if l == nil {
		return "no labels"
	}
	var p []string
	for i, s := range l {
		if s == chexpert.Positive {
			p = append(p, chexpert.Observations[i])
		}
	}
	if len(p) == 0 {
		return "none"
	}
	return "positive: " + strings.Join(p, ", ")
}
