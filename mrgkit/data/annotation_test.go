package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

const goodAnn = `{"train": [{"id": "a", "report": "Normal.", "image_path": ["a/0.png", "a/1.png"], "split": "train",
  "labels": [null, 1, 0, -1, null, null, null, null, null, null, null, null, 1.0, null]}],
 "val": [{"id": "b", "report": "Clear.", "image_path": ["b/0.png"]}], "test": []}`

func TestParseAnnotation(t *testing.T) {
	a, err := ParseAnnotation("ann.json", []byte(goodAnn))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Train) != 1 || len(a.Val) != 1 || len(a.Test) != 0 {
		t.Fatalf("split sizes %d/%d/%d", len(a.Train), len(a.Val), len(a.Test))
	}
	e := a.Train[0]
	if e.ID != "a" || e.Report != "Normal." || len(e.ImagePaths) != 2 || e.Split != "train" || e.Labels == nil {
		t.Fatalf("entry %+v", e)
	}
	want := chexpert.Labels{}
	want[1], want[2], want[3], want[12] = chexpert.Positive, chexpert.Negative, chexpert.Uncertain, chexpert.Positive
	if *e.Labels != want {
		t.Errorf("labels %v, want %v", *e.Labels, want)
	}
	if a.Val[0].Split != "val" || a.Val[0].Labels != nil {
		t.Errorf("val entry %+v", a.Val[0])
	}
	for _, s := range []string{"train", "val", "test"} {
		if _, err := a.Split(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := a.Split("dev"); err == nil {
		t.Error("Split(dev) succeeded")
	}
	// Round trip through Save.
	p := filepath.Join(t.TempDir(), "ann.json")
	if err := a.Save(p); err != nil {
		t.Fatal(err)
	}
	b, err := LoadAnnotation(p)
	if err != nil {
		t.Fatal(err)
	}
	if *b.Train[0].Labels != want || b.Val[0].Labels != nil || b.Train[0].ImagePaths[1] != "a/1.png" {
		t.Errorf("round trip changed entries: %+v %+v", b.Train[0], b.Val[0])
	}
}

func TestParseAnnotationErrors(t *testing.T) {
	entry := func(fields string) string {
		return `{"train": [` + fields + `], "val": [], "test": []}`
	}
	tests := []struct {
		name, text string
		want       []string // substrings of the error
		problems   int      // >0: a *ValidationError with this many problems
	}{
		{"malformed", `{"train": [`, []string{"ann.json:1:", "malformed JSON"}, 0},
		{"not an object", `[1, 2]`, []string{"ann.json", "train, val and test"}, 0},
		{"null", `null`, []string{"ann.json", "train, val and test"}, 0},
		{"missing split", `{"train": [], "val": []}`, []string{"ann.json", `missing split "test"`}, 0},
		{"split not a list", `{"train": {}, "val": [], "test": []}`, []string{`split "train" is not a list`}, 0},
		{"non-UTF-8", "{\"train\": [{\"id\": \"a\xff\"}], \"val\": [], \"test\": []}", []string{"ann.json:1:", "not valid UTF-8"}, 0},
		{"no report", entry(`{"id": "x", "image_path": ["x.png"]}`), []string{"train[0]", `"x"`, `missing "report"`}, 1},
		{"empty report", entry(`{"id": "x", "report": " ", "image_path": ["x.png"]}`), []string{`empty "report"`}, 1},
		{"no images", entry(`{"id": "x", "report": "r"}`), []string{`"image_path"`}, 1},
		{"empty image list", entry(`{"id": "x", "report": "r", "image_path": []}`), []string{`"image_path"`}, 1},
		{"empty image path", entry(`{"id": "x", "report": "r", "image_path": [""]}`), []string{"image_path[0] is empty"}, 1},
		{"absolute path", entry(`{"id": "x", "report": "r", "image_path": ["/etc/x.png"]}`), []string{"relative"}, 1},
		{"no id", entry(`{"report": "r", "image_path": ["x.png"]}`), []string{"train[0]", `missing "id"`}, 1},
		{"report not a string", entry(`{"id": "x", "report": 3, "image_path": ["x.png"]}`), []string{`"report"`}, 1},
		{"entry not an object", entry(`"hello"`), []string{"train[0]", "not a JSON object"}, 1},
		{"wrong split field", entry(`{"id": "x", "report": "r", "image_path": ["x.png"], "split": "test"}`), []string{`says split "test"`}, 1},
		{"13 labels", entry(`{"id": "x", "report": "r", "image_path": ["x.png"], "labels": [1,1,1,1,1,1,1,1,1,1,1,1,1]}`), []string{"want 14 states, got 13"}, 1},
		{"bad label", entry(`{"id": "x", "report": "r", "image_path": ["x.png"], "labels": [2,1,1,1,1,1,1,1,1,1,1,1,1,1]}`), []string{"labels[0]", "Enlarged Cardiomediastinum"}, 1},
		{"duplicate id and two bad", entry(`{"id": "x", "report": "r", "image_path": ["x.png"]}, {"id": "x", "report": "r", "image_path": ["x.png"]}, {"id": "y"}`),
			[]string{"duplicate id", "train[2]", "2 invalid entries"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAnnotation("ann.json", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var ve *ValidationError
			if got := errors.As(err, &ve); got != (tc.problems > 0) {
				t.Fatalf("ValidationError = %v, want %v", got, tc.problems > 0)
			}
			if ve != nil && len(ve.Problems) != tc.problems {
				t.Errorf("%d problems, want %d", len(ve.Problems), tc.problems)
			}
		})
	}
	if _, err := LoadAnnotation(filepath.Join(t.TempDir(), "absent.json")); err == nil || !os.IsNotExist(errors.Unwrap(err)) && !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("missing file error %v", err)
	}
}
