package plots

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// ResultCell is one trained-and-evaluated cell of an ablation grid, as in
// the ablation's results.json: {"cells":[{"config":..,"seed":..,"metrics":{..}}]}.
type ResultCell struct {
	Config  string             `json:"config"`
	Seed    int                `json:"seed"`
	Metrics map[string]float64 `json:"metrics"`
}

// ReadResults reads an ablation results.json. Unknown fields are ignored;
// a cell without a config name or without metrics is an error naming it.
func ReadResults(path string) ([]ResultCell, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "plots: reading results")
	}
	var doc struct {
		Cells []ResultCell `json:"cells"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errors.Wrapf(err, "plots: %s: not a results file", path)
	}
	if len(doc.Cells) == 0 {
		return nil, errors.Errorf("plots: %s: no cells", path)
	}
	for i, c := range doc.Cells {
		if c.Config == "" {
			return nil, errors.Errorf("plots: %s: cell %d has no config name", path, i)
		}
		if len(c.Metrics) == 0 {
			return nil, errors.Errorf("plots: %s: cell %d (%s, seed %d) has no metrics", path, i, c.Config, c.Seed)
		}
	}
	return doc.Cells, nil
}

// MeanStd returns, for every (metric, config) pair present, the mean and
// the sample standard deviation (n-1; 0 for a single seed) over seeds, as
// Bars with Group = metric and Name = config, in the order metrics and
// configs first appear (known metrics in their usual order). Non-finite
// values are skipped.
func MeanStd(cells []ResultCell) []Bar {
	var configs []string
	seen := map[string]bool{}
	metrics := map[string]bool{}
	vals := map[[2]string][]float64{}
	for _, c := range cells {
		if !seen[c.Config] {
			seen[c.Config] = true
			configs = append(configs, c.Config)
		}
		for m, v := range c.Metrics {
			if finite(v) {
				metrics[m] = true
				k := [2]string{m, c.Config}
				vals[k] = append(vals[k], v)
			}
		}
	}
	var bars []Bar
	for _, m := range metricOrder(metrics) {
		for _, cfg := range configs {
			v := vals[[2]string{m, cfg}]
			if len(v) == 0 {
				continue
			}
			mean := 0.0
			for _, x := range v {
				mean += x
			}
			mean /= float64(len(v))
			std := 0.0
			if len(v) > 1 {
				for _, x := range v {
					std += (x - mean) * (x - mean)
				}
				std = math.Sqrt(std / float64(len(v)-1))
			}
			bars = append(bars, Bar{Group: m, Name: cfg, Mean: mean, Std: std})
		}
	}
	return bars
}

// AblationBars reads results.json and writes CellBars(cells, outDir,
// "ablation").
func AblationBars(resultsPath, outDir string) ([]string, error) {
	cells, err := ReadResults(resultsPath)
	if err != nil {
		return nil, err
	}
	paths, err := CellBars(cells, outDir, "ablation")
	if err != nil {
		return paths, errors.Wrapf(err, "plots: %s", resultsPath)
	}
	return paths, nil
}

// CellBars writes into outDir, as PNG and SVG, "<prefix>_nlg" (report
// metrics) and "<prefix>_ce" (clinical-efficacy F1 scores, keys "ce_*_f1"):
// mean ± std over seeds per configuration. It returns the written paths.
func CellBars(cells []ResultCell, outDir, prefix string) ([]string, error) {
	var nlg, ce []Bar
	for _, b := range MeanStd(cells) {
		switch {
		case strings.HasPrefix(b.Group, "ce_"):
			if strings.HasSuffix(b.Group, "_f1") {
				ce = append(ce, b)
			}
		case isMetricKey(b.Group):
			nlg = append(nlg, b)
		}
	}
	var written []string
	for _, fig := range []struct {
		name, title, ylabel string
		bars                []Bar
	}{
		{prefix + "_nlg", "Report metrics (mean ± std over seeds)", "score", nlg},
		{prefix + "_ce", "Clinical efficacy (mean ± std over seeds)", "F1", ce},
	} {
		if len(fig.bars) == 0 {
			continue
		}
		paths, err := Both(filepath.Join(outDir, fig.name), func(p string) error {
			return Bars(p, fig.title, fig.ylabel, fig.bars)
		})
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	if len(written) == 0 {
		return nil, errors.New("no finite metric values")
	}
	return written, nil
}
