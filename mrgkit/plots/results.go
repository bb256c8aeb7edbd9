package plots

import (
	"math"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// ResultCell is one cell of an ablation's results.json (run.Cell).
type ResultCell = run.Cell

// ReadResults reads the cells of an ablation's results.json (run.ReadResults).
func ReadResults(path string) ([]ResultCell, error) { return run.ReadResults(path) }

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
