package run

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ui/plot"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
)

// PointsFile is the run's training curves in GoMLX's plot-point format
// (JSON lines of plot.Point, the file name GoMLX's ui/gonb/plotly reads), so
// that plotly.New().LoadCheckpointData(RUN) redraws a run. Train rewrites it
// from log.jsonl at every checkpoint.
const PointsFile = plot.TrainingPlotFileName

// Metric types (plot.Point.MetricType: one figure per type in GoMLX's plots).
const (
	PointTypeLoss  = "loss"
	PointTypeLR    = "learning rate"
	PointTypeNLG   = "NLG (validation)"
	PointTypeCE    = "clinical efficacy (validation)"
	PointTypeFaith = "faithfulness (validation)"
)

// RecordPoints converts one log.jsonl record into plot points: a step's
// loss parts ("Train: loss", type loss) and learning rate; an epoch's
// validation metrics ("BLEU_4 on val", by metric type). Bookkeeping numbers
// (timings, counts, lengths) and non-finite values are left out. Points are
// in name order.
func RecordPoints(kind string, step int, split string, values map[string]float64) []plot.Point {
	if split == "" {
		split = "val"
	}
	var out []plot.Point
	for k, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		p := plot.Point{Step: float64(step), Value: v}
		switch kind {
		case KindStep:
			switch {
			case k == "lr":
				p.MetricType, p.MetricName, p.Short = PointTypeLR, "Train: lr", "T/lr"
			case k == "loss" || strings.HasSuffix(k, "_loss") || strings.HasPrefix(k, "kd_"):
				p.MetricType, p.MetricName, p.Short = PointTypeLoss, "Train: "+k, "T/"+k
			default:
				continue
			}
		case KindEpoch:
			switch {
			case strings.HasPrefix(k, "BLEU_") || k == "METEOR" || k == "ROUGE_L" || k == "CIDEr":
				p.MetricType = PointTypeNLG
			case strings.HasPrefix(k, "ce_") && strings.HasSuffix(k, "_f1"):
				p.MetricType = PointTypeCE
			case strings.HasSuffix(k, "micro_f1") && (strings.HasPrefix(k, "diag_") || strings.HasPrefix(k, "text_") || strings.HasPrefix(k, "faith_")):
				p.MetricType = PointTypeFaith
			default:
				continue
			}
			p.MetricName, p.Short = k+" on "+split, k+"("+split[:min(3, len(split))]+")"
		default:
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MetricName < out[j].MetricName })
	return out
}

// WritePlotPoints rewrites RUN/PointsFile from RUN/log.jsonl, atomically.
// A step logged twice (a resumed run that cut its log) appears once: the log
// is read as it is now. Malformed lines are an error naming the line; a
// truncated last line (a run killed while writing) is skipped (ReadLog).
func WritePlotPoints(runDir string) error {
	d := Dir(runDir)
	recs, err := ReadLog(d.Log())
	if err != nil {
		return errors.Wrap(err, "writing plot points")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		for _, p := range RecordPoints(r.Kind, r.Step, r.Split, r.Values) {
			if err := enc.Encode(p); err != nil {
				return errors.Wrapf(err, "writing plot points of %s", d.Log())
			}
		}
	}
	return atomicfile.WriteFile(filepath.Join(runDir, PointsFile), buf.Bytes())
}
