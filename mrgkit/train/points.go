package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ui/plot"
	"github.com/pkg/errors"
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
		case "step":
			switch {
			case k == "lr":
				p.MetricType, p.MetricName, p.Short = PointTypeLR, "Train: lr", "T/lr"
			case k == "loss" || strings.HasSuffix(k, "_loss") || strings.HasPrefix(k, "kd_"):
				p.MetricType, p.MetricName, p.Short = PointTypeLoss, "Train: "+k, "T/"+k
			default:
				continue
			}
		case "epoch":
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
// truncated last line (a run killed while writing) is skipped.
func WritePlotPoints(runDir string) error {
	logPath := filepath.Join(runDir, LogFile)
	data, err := os.ReadFile(logPath)
	if err != nil {
		return errors.Wrap(err, "writing plot points")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var raw map[string]any
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&raw); err != nil {
			if i == len(lines)-1 {
				break
			}
			return errors.Errorf("writing plot points: %s:%d: not a JSON object: %v", logPath, i+1, err)
		}
		kind, _ := raw["kind"].(string)
		split, _ := raw["split"].(string)
		step, _ := raw["step"].(float64)
		values := map[string]float64{}
		for k, v := range raw {
			if f, ok := v.(float64); ok && k != "step" && k != "epoch" {
				values[k] = f
			}
		}
		for _, p := range RecordPoints(kind, int(step), split, values) {
			if err := enc.Encode(p); err != nil {
				return errors.Wrapf(err, "writing plot points of %s:%d", logPath, i+1)
			}
		}
	}
	return writeFileAtomic(filepath.Join(runDir, PointsFile), buf.Bytes())
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	w := bufio.NewWriter(f)
	_, err = w.Write(data)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return errors.Wrapf(err, "writing %s", path)
	}
	return nil
}
