package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"

	"github.com/mrgkit/mrgkit/mrgkit/data"
)

func dataRun(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

func dataPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func dataZeroPNG(t *testing.T) []byte {
	b := dataPNG(t, 1, 1)
	binary.BigEndian.PutUint32(b[16:20], 0) // IHDR width
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestDataSynthCheckCleanVocab(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := dataRun("data", "synth", "-out", dir, "-preset", "small", "-n", "40", "-size", "48", "-seed", "5")
	if code != 0 {
		t.Fatalf("synth exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Cardiomegaly") || !strings.Contains(out, "AUC at 64 px") || !strings.Contains(out, "not drawn") || !strings.Contains(errOut, "toycxr: wrote") {
		t.Errorf("synth output %q / %q", out, errOut)
	}
	ann, err := data.LoadAnnotation(data.AnnotationPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	// -n 40 keeps the small preset's 48/16/16 ratio: 24/8/8.
	if len(ann.Train) != 24 || len(ann.Val) != 8 || len(ann.Test) != 8 {
		t.Errorf("splits %d/%d/%d, want 24/8/8", len(ann.Train), len(ann.Val), len(ann.Test))
	}
	img, err := data.DecodeImage(filepath.Join(dir, "images", ann.Test[0].ImagePaths[1]))
	if err != nil || img.W != 48 {
		t.Errorf("lateral image: %v %v", img, err)
	}
	code, out, errOut = dataRun("data", "check", "-ann", data.AnnotationPath(dir), "-images", filepath.Join(dir, "images"))
	if code != 0 || !strings.Contains(out, "40 entries (train 24, val 8, test 8): 40 OK, 0 with problems") || !strings.Contains(out, "80 images decoded") || !strings.Contains(out, "OK") {
		t.Errorf("check exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = dataRun("data", "clean", "-dataset", "toycxr", "-ann", data.AnnotationPath(dir))
	var cleaned map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &cleaned) != nil || len(cleaned) != 40 {
		t.Fatalf("clean exit %d, %d ids: %s", code, len(cleaned), errOut)
	}
	if e := ann.Val[3]; cleaned[e.ID] != data.CleanIU(e.Report) {
		t.Errorf("clean %s = %q", e.ID, cleaned[e.ID])
	}
	vocabPath := filepath.Join(dir, "vocab.json")
	code, out, errOut = dataRun("data", "vocab", "-dataset", "toycxr", "-ann", data.AnnotationPath(dir), "-threshold", "1", "-json", "-out", vocabPath)
	var v struct {
		Size      int
		Threshold int
		Words     []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("vocab exit %d: %s %s", code, out, errOut)
	}
	// Threshold 1: every distinct word of the cleaned train reports, plus <unk>.
	words := map[string]bool{}
	for _, e := range ann.Train {
		for _, w := range strings.Fields(data.CleanIU(e.Report)) {
			words[w] = true
		}
	}
	if v.Size != len(words)+1 || v.Threshold != 1 || len(v.Words) != v.Size {
		t.Errorf("vocab size %d, want %d", v.Size, len(words)+1)
	}
	if saved, err := data.LoadVocab(vocabPath); err != nil || saved.Size() != v.Size {
		t.Errorf("saved vocab: %v", err)
	}
}

func TestDataVocabRealIU(t *testing.T) {
	ann := dataSharedIU(t)
	code, out, errOut := dataRun("data", "vocab", "-dataset", "iu_xray", "-ann", ann, "-json")
	var v struct{ Size int }
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if v.Size != 760 { // R2Gen's get_vocab_size() on its IU X-Ray split, threshold 3
		t.Errorf("size %d, want 760", v.Size)
	}
	code, out, _ = dataRun("data", "clean", "-dataset", "mimic_cxr", "-ann", ann)
	var cleaned map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &cleaned) != nil || len(cleaned) != 2955 {
		t.Errorf("clean exit %d, %d reports", code, len(cleaned))
	}
}

func dataSharedIU(t *testing.T) string {
	// fixture.Shared: $MRGKIT_SHARED, ../shared beside the repository, or a
	// shared/ above it; fails under CI=true when missing, skips elsewhere.
	return filepath.Join(fixture.Shared(t, "data/iu_xray/annotation.json"), "data", "iu_xray", "annotation.json")
}

// TestDataBrokenInputs runs the data verbs on a corpus of broken inputs:
// each must exit non-zero with a message naming the problem, never panic.
func TestDataBrokenInputs(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "images")
	good := dataPNG(t, 16, 16)
	fixture.WriteFile(t, filepath.Join(imgs, "ok", "0.png"), good)
	fixture.WriteFile(t, filepath.Join(imgs, "ok", "1.png"), good)
	fixture.WriteFile(t, filepath.Join(imgs, "corrupt", "0.png"), []byte("not a png"))
	fixture.WriteFile(t, filepath.Join(imgs, "trunc", "0.png"), good[:len(good)/2])
	fixture.WriteFile(t, filepath.Join(imgs, "zero", "0.png"), dataZeroPNG(t))
	fixture.WriteFile(t, filepath.Join(imgs, "empty", "0.png"), nil)
	entry := func(id, fields string) string {
		return fmt.Sprintf(`{"id": %q, %s}`, id, fields)
	}
	ok := entry("ok", `"report": "Normal.", "image_path": ["ok/0.png", "ok/1.png"]`)
	ann := func(name, text string) string { return fixture.WriteFile(t, filepath.Join(dir, name), []byte(text)) }
	badEntries := ann("bad_entries.json", `{"train": [`+ok+`, `+
		entry("noreport", `"image_path": ["ok/0.png"]`)+`, `+
		entry("noimages", `"report": "Normal."`)+`, `+
		entry("missing", `"report": "Normal.", "image_path": ["missing/0.png"]`)+`, `+
		entry("corrupt", `"report": "Normal.", "image_path": ["corrupt/0.png"]`)+`], "val": [`+
		entry("trunc", `"report": "Normal.", "image_path": ["trunc/0.png"]`)+`, `+
		entry("zero", `"report": "Normal.", "image_path": ["zero/0.png"]`)+`, `+
		entry("empty", `"report": "Normal.", "image_path": ["empty/0.png"]`)+`], "test": []}`)
	tests := []struct {
		name string
		args []string
		code int
		want []string // substrings of stdout+stderr
	}{
		{"check lists every bad entry", []string{"check", "-ann", badEntries, "-images", imgs}, 1, []string{
			"8 entries (train 5, val 3, test 0): 1 OK, 7 with problems", "2 images decoded", `train[1] (id "noreport")`, `missing "report"`,
			`train[2] (id "noimages")`, "image_path", `train[3] (id "missing")`, "missing/0.png", `train[4] (id "corrupt")`,
			`val[0] (id "trunc")`, `val[1] (id "zero")`, "zero size", `val[2] (id "empty")`, "empty image file", "7 problem(s)"}},
		{"malformed JSON", []string{"check", "-ann", ann("malformed.json", `{"train": [`), "-images", imgs}, 1, []string{"malformed.json", "malformed JSON"}},
		{"missing split", []string{"check", "-ann", ann("nosplit.json", `{"train": [], "val": []}`), "-images", imgs}, 1, []string{"nosplit.json", `missing split "test"`}},
		{"non-UTF-8", []string{"clean", "-dataset", "iu_xray", "-ann", ann("latin1.json", "{\"train\": [{\"id\": \"a\", \"report\": \"caf\xe9.\", \"image_path\": [\"a.png\"]}], \"val\": [], \"test\": []}")}, 1, []string{"latin1.json", "not valid UTF-8"}},
		{"absent annotation", []string{"vocab", "-dataset", "iu_xray", "-ann", filepath.Join(dir, "absent.json")}, 1, []string{"absent.json"}},
		{"unknown dataset", []string{"clean", "-dataset", "chexpert", "-ann", badEntries}, 2, []string{`unknown dataset "chexpert"`}},
		{"clean of invalid entries", []string{"clean", "-dataset", "iu_xray", "-ann", badEntries}, 1, []string{`missing "report"`}},
		{"no command", nil, 2, []string{"missing command"}},
		{"unknown command", []string{"convert"}, 2, []string{`unknown command "convert"`}},
		{"synth without -out", []string{"synth"}, 2, []string{"-out DIR is required"}},
		{"synth bad preset", []string{"synth", "-out", dir, "-preset", "huge"}, 2, []string{"unknown -preset"}},
		{"synth bad size", []string{"synth", "-out", dir, "-size", "7"}, 2, []string{"Size"}},
		{"synth bad flag", []string{"synth", "-out", dir, "-bogus"}, 2, []string{"bogus"}},
		{"check without -images", []string{"check", "-ann", badEntries}, 2, []string{"-ann and -images are required"}},
		{"vocab bad threshold", []string{"vocab", "-dataset", "iu_xray", "-ann", ann("one.json", `{"train": [`+ok+`], "val": [], "test": []}`), "-threshold", "-3"}, 2, []string{"-threshold"}},
		{"stray argument", []string{"clean", "-dataset", "iu_xray", "-ann", badEntries, "extra"}, 2, []string{`unexpected argument "extra"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := dataRun(append([]string{"data"}, tc.args...)...)
			all := out + errOut
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
				t.Errorf("panic trace in output:\n%s", all)
			}
		})
	}
}
