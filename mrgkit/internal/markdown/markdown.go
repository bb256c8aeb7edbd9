// Package markdown formats the kit's Markdown tables (the notebooks' and
// the paper's tables of results).
package markdown

import "strings"

// Table formats a Markdown table: the header row, the rule, then rows,
// each line ending in a newline. Rows shorter than the header are padded
// with empty cells, longer ones cut; "|" in a cell is escaped.
func Table(header []string, rows [][]string) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i := range header {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString(" " + esc(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}
