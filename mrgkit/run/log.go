package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/pkg/errors"
)

// Kinds of Record.
const (
	KindStep  = "step"  // one training step: loss, its parts, lr, sec_per_step
	KindEpoch = "epoch" // the end of an epoch: validation metrics, epoch_seconds
)

// Record is one line of a run's log.jsonl, as train writes it and plots
// and the notebooks read it. Kind is KindStep or KindEpoch (other kinds are
// kept); Split is the validation split of an epoch line; Values holds every
// other numeric field (loss, lm_loss, lr, sec_per_step, BLEU_4, ...). On
// reading, unknown keys are kept and non-numeric ones (other than kind and
// split) are ignored.
type Record struct {
	Kind   string
	Step   int
	Epoch  int
	Split  string
	Values map[string]float64
}

// ReadLog parses a run's log.jsonl. Blank lines are skipped, and so
// is a truncated last line without a trailing newline (a run killed while
// writing); any other malformed line is an error naming file and line.
func ReadLog(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "reading training log")
	}
	return ParseLog(path, data)
}

// ParseLog is ReadLog on the log's bytes; name is used in errors.
func ParseLog(name string, data []byte) ([]Record, error) {
	var recs []Record
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		lineNo := i + 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(line, &raw); err != nil {
			if i == len(lines)-1 {
				break // partial final line (no newline) of an interrupted run
			}
			return nil, errors.Errorf("%s:%d: not a JSON object: %v", name, lineNo, err)
		}
		rec := Record{Values: map[string]float64{}}
		for k, v := range raw {
			switch k {
			case "kind", "split":
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, errors.Errorf("%s:%d: field %q is not a string", name, lineNo, k)
				}
				if k == "kind" {
					rec.Kind = s
				} else {
					rec.Split = s
				}
			default:
				if string(bytes.TrimSpace(v)) == "null" {
					continue // a non-finite value (see MarshalJSON)
				}
				var f float64
				if err := json.Unmarshal(v, &f); err != nil {
					if t := bytes.TrimSpace(v); len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9') {
						return nil, errors.Errorf("%s:%d: field %q is %s, not a finite number", name, lineNo, k, abbrev(t))
					}
					continue // not a number: ignore (tolerant of unknown fields)
				}
				switch k {
				case "step":
					rec.Step = int(f)
				case "epoch":
					rec.Epoch = int(f)
				default:
					rec.Values[k] = f
				}
			}
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func abbrev(b []byte) string {
	if len(b) > 30 {
		return string(b[:30]) + "..."
	}
	return string(b)
}

// MarshalJSON writes the record as one flat JSON object with sorted keys:
// kind, step, epoch, split (when set) and every value. A non-finite value,
// which JSON cannot hold, is written as null (readers skip it).
func (r Record) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Values)+4)
	for k, v := range r.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			m[k] = nil
		} else {
			m[k] = v
		}
	}
	m["kind"], m["step"], m["epoch"] = r.Kind, r.Step, r.Epoch
	if r.Split != "" {
		m["split"] = r.Split
	}
	return json.Marshal(m)
}

// LogWriter appends JSON lines to the run log, one write per line so that a
// reader (a live notebook plot) never sees half a line, and tracks the size
// so that a resumed run can cut the lines written after its checkpoint.
type LogWriter struct {
	f      *os.File
	offset int64
	err    error
}

func openLog(path string, offset int64) (*LogWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "opening %s", path)
	}
	if err := f.Truncate(offset); err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "truncating %s", path)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &LogWriter{f: f, offset: offset}, nil
}

// Write appends one record; the first error is kept for Flush.
func (l *LogWriter) Write(rec Record) {
	b, err := json.Marshal(rec)
	if err != nil {
		if l.err == nil {
			l.err = errors.Wrapf(err, "encoding a %s record of %s", rec.Kind, l.f.Name())
		}
		return
	}
	b = append(b, '\n')
	n, err := l.f.Write(b)
	l.offset += int64(n)
	if err != nil && l.err == nil {
		l.err = errors.Wrapf(err, "writing %s", l.f.Name())
	}
}

// Flush syncs the log to disk and reports the first write error.
func (l *LogWriter) Flush() error {
	if l.err != nil {
		return l.err
	}
	return l.f.Sync()
}

// Close flushes and closes the log.
func (l *LogWriter) Close() error {
	_ = l.Flush()
	return l.f.Close()
}

// Offset is the number of bytes of the log written so far.
func (l *LogWriter) Offset() int64 { return l.offset }

// OpenLog opens the run log at a checkpoint's offset. A log shorter than
// the offset (deleted or cut by hand) is not padded: the run appends to what
// is there and says so.
func OpenLog(path string, offset int64, progress io.Writer) (*LogWriter, error) {
	if st, err := os.Stat(path); err == nil && st.Size() < offset {
		fmt.Fprintf(progress, "warning: %s has %d bytes but the checkpoint wrote %d: its lost lines are not restored; appending from here\n", path, st.Size(), offset)
		offset = st.Size()
	} else if os.IsNotExist(err) && offset > 0 {
		fmt.Fprintf(progress, "warning: %s is missing (the checkpoint wrote %d bytes): starting a new log from here\n", path, offset)
		offset = 0
	}
	return openLog(path, offset)
}
