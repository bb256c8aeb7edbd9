package notebook

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
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

// MetricsTable is plots.MetricsTable: named metric sets as a markdown
// table, one row per metric and one column per set.
func MetricsTable(columns []string, sets map[string]map[string]float64) string {
	return plots.MetricsTable(columns, sets)
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
