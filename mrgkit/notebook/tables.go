package notebook

import (
	"github.com/mrgkit/mrgkit/mrgkit/ablate"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// The paper's table of saved results is package ablate's (paper.go); these
// are the names the notebook cells call.

// NamedRun is a run directory shown under a configuration name
// (ablate.NamedRun).
type NamedRun = ablate.NamedRun

// CollectResults is ablate.CollectResults: the cells of the existing
// results.json files, then one per evaluated run; sources lists what was read.
func CollectResults(resultsFiles []string, runs []NamedRun, split string) (cells []run.Cell, sources []string, err error) {
	return ablate.CollectResults(resultsFiles, runs, split)
}

// PaperTable is ablate.PaperTable: result cells in the paper's layout.
func PaperTable(cells []run.Cell, data string, withPublished bool) (string, error) {
	return ablate.PaperTable(cells, data, withPublished)
}

// PublishedTable is ablate.PublishedTable: the published rows only.
func PublishedTable() string { return ablate.PublishedTable() }
