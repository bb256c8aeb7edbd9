package data

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "images")
	write := func(path string, b []byte) string { return fixture.WriteFile(t, path, b) }
	write(filepath.Join(imgs, "a", "0.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 16, 8))))
	write(filepath.Join(imgs, "a", "1.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 16, 8))))
	write(filepath.Join(imgs, "b", "0.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 4, 4))))
	write(filepath.Join(imgs, "corrupt", "0.png"), []byte("not a png"))
	entry := func(id, fields string) string { return fmt.Sprintf(`{"id": %q, %s}`, id, fields) }
	good := entry("a", `"report": "Normal.", "image_path": ["a/0.png", "a/1.png"]`)
	b := entry("b", `"report": "Normal.", "image_path": ["b/0.png"]`)
	ann := func(name, text string) string { return write(filepath.Join(dir, name), []byte(text)) }

	clean := ann("clean.json", `{"train": [`+good+`], "val": [`+b+`], "test": []}`)
	broken := ann("broken.json", `{"train": [`+good+`, `+
		entry("corrupt", `"report": "Normal.", "image_path": ["a/0.png", "corrupt/0.png"]`)+`, `+
		entry("noreport", `"image_path": ["a/0.png"]`)+`], "val": [], "test": [`+
		entry("missing", `"report": "Normal.", "image_path": ["missing/0.png"]`)+`, `+b+`]}`)
	for _, c := range []struct {
		name, ann string
		entries   [3]int // train, val, test
		bad       int
		images    int
		sizes     string
		problems  []string // split[index]/image: a substring of the text
		err       string
	}{
		{name: "clean", ann: clean, entries: [3]int{1, 1, 0}, images: 3, sizes: "16x8 x2, 4x4 x1"},
		{name: "problems, in split, entry and image order", ann: broken, entries: [3]int{3, 0, 2}, bad: 3, images: 4, sizes: "16x8 x3, 4x4 x1",
			problems: []string{
				`train[1]/1: broken.json: train[1] (id "corrupt"): image_path[1]:`,
				`train[2]/-1: broken.json: train[2] (id "noreport"): missing "report"`,
				`test[0]/0: broken.json: test[0] (id "missing"): image_path[0]:`,
			}},
		{name: "malformed JSON", ann: ann("malformed.json", `{"train": [`), err: "malformed.json"},
		{name: "missing split", ann: ann("nosplit.json", `{"train": [], "val": []}`), err: `missing split "test"`},
		{name: "absent", ann: filepath.Join(dir, "absent.json"), err: "absent.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Check(c.ann, imgs)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("err = %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]int{res.Entries["train"], res.Entries["val"], res.Entries["test"]}; got != c.entries || res.Total() != c.entries[0]+c.entries[1]+c.entries[2] {
				t.Errorf("entries %v (total %d), want %v", got, res.Total(), c.entries)
			}
			if res.Bad != c.bad || res.Images != c.images || strings.Join(res.Sizes, ", ") != c.sizes || res.Annotation != c.ann {
				t.Errorf("bad %d, images %d, sizes %q, annotation %s; want %d, %d, %q, %s", res.Bad, res.Images, strings.Join(res.Sizes, ", "), res.Annotation, c.bad, c.images, c.sizes, c.ann)
			}
			if len(res.Problems) != len(c.problems) {
				t.Fatalf("%d problems, want %d: %+v", len(res.Problems), len(c.problems), res.Problems)
			}
			for i, p := range res.Problems {
				where, text, _ := strings.Cut(c.problems[i], ": ")
				if got := fmt.Sprintf("%s[%d]/%d", p.Split, p.Index, p.Image); got != where || !strings.Contains(p.Text, text) {
					t.Errorf("problem %d: %s %q, want %s with %q", i, got, p.Text, where, text)
				}
			}
		})
	}
}
