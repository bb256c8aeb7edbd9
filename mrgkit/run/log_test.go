package run

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestLogNotPaddedOnResume: a log shorter than the checkpoint's offset (or
// missing) is appended to as it is, with a warning, never padded.
func TestLogNotPaddedOnResume(t *testing.T) {
	for _, existing := range []string{"", "{\"a\":1}\n"} {
		path := filepath.Join(t.TempDir(), LogFile)
		if existing != "" {
			_ = os.WriteFile(path, []byte(existing), 0o644)
		}
		var warn bytes.Buffer
		w, err := OpenLog(path, 2447, &warn)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(Record{Kind: KindStep, Step: 1})
		_ = w.Close()
		b, _ := os.ReadFile(path)
		if want := existing + "{\"epoch\":0,\"kind\":\"step\",\"step\":1}\n"; string(b) != want {
			t.Errorf("log is %q, want %q", b, want)
		}
		if !strings.Contains(warn.String(), "warning: ") {
			t.Errorf("no warning for a short log: %q", warn.String())
		}
	}
}

// TestRecordJSON: the bytes train writes (sorted flat keys, split only on
// epoch lines, non-finite values as null) and what ReadLog gives back.
func TestRecordJSON(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		json string
		back Record // what parsing the line gives
	}{
		{"step", Record{Kind: KindStep, Step: 3, Epoch: 1, Values: map[string]float64{"loss": 2.5, "lr": 0.001, "lm_loss": 2}},
			`{"epoch":1,"kind":"step","lm_loss":2,"loss":2.5,"lr":0.001,"step":3}`,
			Record{Kind: KindStep, Step: 3, Epoch: 1, Values: map[string]float64{"loss": 2.5, "lr": 0.001, "lm_loss": 2}}},
		{"epoch", Record{Kind: KindEpoch, Step: 10, Epoch: 2, Split: "val", Values: map[string]float64{"BLEU_4": 0.125}},
			`{"BLEU_4":0.125,"epoch":2,"kind":"epoch","split":"val","step":10}`,
			Record{Kind: KindEpoch, Step: 10, Epoch: 2, Split: "val", Values: map[string]float64{"BLEU_4": 0.125}}},
		{"non-finite", Record{Kind: KindEpoch, Epoch: 1, Split: "val", Values: map[string]float64{"x": math.NaN(), "y": 1}},
			`{"epoch":1,"kind":"epoch","split":"val","step":0,"x":null,"y":1}`,
			Record{Kind: KindEpoch, Epoch: 1, Split: "val", Values: map[string]float64{"y": 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.rec.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.json {
				t.Errorf("got %s\nwant %s", b, tc.json)
			}
			recs, err := ParseLog("log.jsonl", append(b, '\n'))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || !reflect.DeepEqual(recs[0], tc.back) {
				t.Errorf("parsed %+v, want %+v", recs, tc.back)
			}
		})
	}
}
