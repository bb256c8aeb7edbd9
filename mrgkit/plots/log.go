package plots

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// LogRecord is one line of a training log (run.Record).
type LogRecord = run.Record

// ReadLog reads a run's log.jsonl (run.ReadLog).
func ReadLog(path string) ([]LogRecord, error) { return run.ReadLog(path) }

// ParseLog parses log.jsonl bytes (run.ParseLog).
func ParseLog(name string, data []byte) ([]LogRecord, error) { return run.ParseLog(name, data) }

// Loss components plotted by LossCurves, in legend order, when present.
var lossKeys = []string{"loss", "lm_loss", "cls_loss", "kd_global", "kd_local"}

// LossCurves reads the training log at logPath and writes, into outDir, as
// PNG and SVG: "loss" (total loss and each component present, per step,
// plus validation loss at epoch ends), "lr" (learning rate per step), and
// per split found in epoch lines "<split>_nlg" (BLEU/METEOR/ROUGE/CIDEr) and
// "<split>_ce" (clinical-efficacy metrics, keys starting with "ce_"), per
// epoch. Figures whose data is absent are skipped. If a step was logged more
// than once (a resumed run), the last value wins. It returns the written
// paths; a log with no step and no epoch lines is an error.
func LossCurves(logPath, outDir string) ([]string, error) {
	recs, err := ReadLog(logPath)
	if err != nil {
		return nil, err
	}
	steps := map[int]LogRecord{}
	epochs := map[epochKey]LogRecord{}
	for _, r := range recs {
		switch r.Kind {
		case "step":
			steps[r.Step] = r
		case "epoch":
			split := r.Split
			if split == "" {
				split = "val"
			}
			epochs[epochKey{split, r.Epoch}] = r
		}
	}
	if len(steps) == 0 && len(epochs) == 0 {
		return nil, errors.Errorf("plots: %s has no step or epoch lines", logPath)
	}
	stepSeries := func(key string) Series { return StepSeries(recs, key) }
	var written []string
	write := func(name string, f func(path string) error) error {
		paths, err := Both(filepath.Join(outDir, name), f)
		written = append(written, paths...)
		return err
	}

	// Loss per step, plus validation loss at the end of each epoch.
	loss := LossSeries(recs)
	valLoss := Series{Name: "val loss"}
	for _, k := range sortedEpochKeys(epochs, "val") {
		r := epochs[epochKey{"val", k}]
		if v, ok := r.Values["loss"]; ok && finite(v) {
			valLoss.X = append(valLoss.X, float64(r.Step))
			valLoss.Y = append(valLoss.Y, v)
		}
	}
	if len(valLoss.X) > 0 {
		loss = append(loss, valLoss)
	}
	if len(loss) > 0 {
		if err := write("loss", func(p string) error {
			return Lines(p, "Training loss", "step", "loss", loss...)
		}); err != nil {
			return written, err
		}
	}
	if lr := stepSeries("lr"); len(lr.X) > 0 {
		lr.Name = "learning rate"
		if err := write("lr", func(p string) error {
			return Lines(p, "Learning rate", "step", "lr", lr)
		}); err != nil {
			return written, err
		}
	}

	// Metrics per epoch, per split.
	splits := map[string]bool{}
	for k := range epochs {
		splits[k.split] = true
	}
	var splitNames []string
	for s := range splits {
		splitNames = append(splitNames, s)
	}
	sort.Strings(splitNames)
	for _, split := range splitNames {
		ids := sortedEpochKeys(epochs, split)
		keys := map[string]bool{}
		for _, e := range ids {
			for k := range epochs[epochKey{split, e}].Values {
				if isMetricKey(k) {
					keys[k] = true
				}
			}
		}
		var nlg, ce []Series
		for _, k := range metricOrder(keys) {
			s := Series{Name: k}
			for _, e := range ids {
				if v, ok := epochs[epochKey{split, e}].Values[k]; ok && finite(v) {
					s.X = append(s.X, float64(e))
					s.Y = append(s.Y, v)
				}
			}
			if len(s.X) == 0 {
				continue
			}
			if strings.HasPrefix(k, "ce_") {
				ce = append(ce, s)
			} else {
				nlg = append(nlg, s)
			}
		}
		if len(nlg) > 0 {
			if err := write(split+"_nlg", func(p string) error {
				return Lines(p, "Report metrics ("+split+")", "epoch", "score", nlg...)
			}); err != nil {
				return written, err
			}
		}
		if len(ce) > 0 {
			if err := write(split+"_ce", func(p string) error {
				return Lines(p, "Clinical efficacy ("+split+")", "epoch", "F1", ce...)
			}); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// StepSeries returns value key of the "step" records against the step
// number, in step order; a step logged twice (a resumed run) keeps its last
// value, and non-finite values are skipped. Name is key.
func StepSeries(recs []LogRecord, key string) Series {
	last := map[int]float64{}
	for _, r := range recs {
		if r.Kind != "step" {
			continue
		}
		if v, ok := r.Values[key]; ok {
			last[r.Step] = v
		} else {
			delete(last, r.Step)
		}
	}
	ids := make([]int, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	s := Series{Name: key}
	for _, id := range ids {
		if v := last[id]; finite(v) {
			s.X = append(s.X, float64(id))
			s.Y = append(s.Y, v)
		}
	}
	return s
}

// LossSeries returns the per-step loss series present in recs (total loss
// and its components), in legend order.
func LossSeries(recs []LogRecord) []Series {
	var out []Series
	for _, k := range lossKeys {
		if s := StepSeries(recs, k); len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// epochKey identifies one epoch line: a split at an epoch.
type epochKey struct {
	split string
	epoch int
}

func sortedEpochKeys(m map[epochKey]LogRecord, split string) []int {
	var out []int
	for k := range m {
		if k.split == split {
			out = append(out, k.epoch)
		}
	}
	sort.Ints(out)
	return out
}

// isMetricKey tells the per-epoch metric keys plotted by LossCurves from
// bookkeeping (loss, timings) and the CE precision/recall companions of the
// F1 scores (only F1 is plotted).
func isMetricKey(k string) bool {
	switch {
	case k == "loss", strings.Contains(k, "sec"), strings.HasSuffix(k, "_time"):
		return false
	case strings.HasPrefix(k, "ce_"):
		return strings.HasSuffix(k, "_f1")
	}
	return true
}

// knownMetrics fixes the legend order of the usual metrics; others follow
// alphabetically.
var knownMetrics = []string{"BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr",
	"ce_micro_f1", "ce_macro_f1", "ce_example_f1"}

func metricOrder(m map[string]bool) []string { return orderKeys(knownMetrics, m) }

// orderKeys lists the keys of m: those of known in its order, then the
// others alphabetically.
func orderKeys(known []string, m map[string]bool) []string {
	var out, rest []string
	for _, k := range known {
		if m[k] {
			out = append(out, k)
		}
	}
	for k := range m {
		if !slices.Contains(known, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
