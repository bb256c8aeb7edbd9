package run

import (
	"encoding/json"
	"os"

	"github.com/pkg/errors"
)

// ResultsFile is an ablation's results: {"cells":[Cell...], ...} (package
// ablate writes it, plots and the notebooks read its cells).
const ResultsFile = "results.json"

// Cell is one trained-and-evaluated (config, seed) cell of an ablation grid,
// as in results.json: the run directory and its test metrics.
type Cell struct {
	Config  string             `json:"config"`
	Seed    int                `json:"seed"`
	Run     string             `json:"run"`
	Metrics map[string]float64 `json:"metrics"`
}

// ReadResults reads the cells of an ablation's results.json. Unknown fields are ignored;
// a cell without a config name or without metrics is an error naming it.
func ReadResults(path string) ([]Cell, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "reading results")
	}
	var doc struct {
		Cells []Cell `json:"cells"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errors.Wrapf(err, "%s: not a results file", path)
	}
	if len(doc.Cells) == 0 {
		return nil, errors.Errorf("%s: no cells", path)
	}
	for i, c := range doc.Cells {
		if c.Config == "" {
			return nil, errors.Errorf("%s: cell %d has no config name", path, i)
		}
		if len(c.Metrics) == 0 {
			return nil, errors.Errorf("%s: cell %d (%s, seed %d) has no metrics", path, i, c.Config, c.Seed)
		}
	}
	return doc.Cells, nil
}
