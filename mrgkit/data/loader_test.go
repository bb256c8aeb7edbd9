package data

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// tinySet writes n studies with two 20x16 grey PNGs each and returns the entries.
func tinySet(t testing.TB, dir string, n int) []Entry {
	t.Helper()
	var entries []Entry
	for i := range n {
		id := fmt.Sprintf("s%02d", i)
		if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
			t.Fatal(err)
		}
		for v := range 2 {
			img := image.NewGray(image.Rect(0, 0, 20, 16))
			for k := range img.Pix {
				img.Pix[k] = uint8((k*7 + i*31 + v*13) % 256)
			}
			if err := os.WriteFile(filepath.Join(dir, id, fmt.Sprintf("%d.png", v)), encodePNG(t, img), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		e := Entry{ID: id, Report: strings.Repeat("Heart normal. ", i%4+1) + "Lungs clear.", ImagePaths: []string{id + "/0.png", id + "/1.png"}, Split: "train"}
		if i%2 == 0 {
			var l chexpert.Labels
			l[1] = chexpert.Positive
			l[9] = chexpert.Uncertain
			e.Labels = &l
		}
		entries = append(entries, e)
	}
	return entries
}

func collect(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	var out []*Batch
	for b, err := range l.Epoch(epoch) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestLoaderBatches(t *testing.T) {
	dir := t.TempDir()
	entries := tinySet(t, dir, 10)
	vocab := BuildVocab([]string{CleanIU("Heart normal. Lungs clear.")}, 1) // ., <unk>, clear, heart, lungs, normal
	cfg := LoaderConfig{BatchSize: 4, MaxLen: 6, Views: 2, Transform: Transform{Resize: 12, Crop: 10, Channels: 3},
		LabelFunc: func(string) chexpert.Labels { var l chexpert.Labels; l[0] = chexpert.Negative; return l }}
	l, err := NewLoader(entries, dir, vocab, CleanIU, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3", l.Len())
	}
	batches := collect(t, l, 0)
	if len(batches) != 3 {
		t.Fatalf("%d batches", len(batches))
	}
	b0, last := batches[0], batches[2]
	if got := b0.Images.Shape().Dimensions; fmt.Sprint(got) != "[4 2 10 10 3]" {
		t.Errorf("images shape %v", got)
	}
	if got := last.Images.Shape().Dimensions; fmt.Sprint(got) != "[2 2 10 10 3]" {
		t.Errorf("last images shape %v", got)
	}
	if got := b0.Tokens.Shape().Dimensions; fmt.Sprint(got) != "[4 6]" {
		t.Errorf("tokens shape %v", got)
	}
	if got := b0.Labels.Shape().Dimensions; fmt.Sprint(got) != "[4 14]" {
		t.Errorf("labels shape %v", got)
	}
	if strings.Join(b0.IDs, ",") != "s00,s01,s02,s03" {
		t.Errorf("unshuffled ids %v", b0.IDs)
	}
	toks := tensors.MustCopyFlatData[int32](b0.Tokens)
	// s00: "heart normal . lungs clear ." = 4 6 1 5 3 1 -> 5 words + pad.
	// s01: "heart normal . heart normal . lungs clear ." truncated to 5 words.
	want := []int32{4, 6, 1, 5, 3, 0, 4, 6, 1, 4, 6, 0}
	if fmt.Sprint(toks[:12]) != fmt.Sprint(want) {
		t.Errorf("tokens %v, want %v", toks[:12], want)
	}
	labs := tensors.MustCopyFlatData[int32](b0.Labels)
	// s00 has labels (Cardiomegaly positive=1, Effusion uncertain=3); s01 uses LabelFunc (EC negative=2).
	if labs[1] != 1 || labs[9] != 3 || labs[0] != 0 || labs[14+0] != 2 || labs[14+1] != 0 {
		t.Errorf("labels %v", labs[:28])
	}
	// s00 has annotation labels, s01 the LabelFunc's.
	if fmt.Sprint(b0.Annotated) != "[true false true false]" {
		t.Errorf("Annotated = %v, want [true false true false]", b0.Annotated)
	}
}

// TestLoaderTarget: the Target rewrite changes the decoder's tokens, not
// the cleaned reports of the batch.
func TestLoaderTarget(t *testing.T) {
	dir := t.TempDir()
	entries := tinySet(t, dir, 2)
	vocab := BuildVocab([]string{CleanIU("Heart normal. Lungs clear.")}, 1) // ., <unk>, clear, heart, lungs, normal
	swap := func(s string) string {                                         // "a . b ." -> "b . a ."
		parts := strings.Split(strings.TrimSuffix(s, " ."), " . ")
		return parts[len(parts)-1] + " . " + parts[0] + " ."
	}
	cfg := LoaderConfig{BatchSize: 2, MaxLen: 8, Views: 1, Transform: Transform{Resize: 12, Crop: 10, Channels: 1}, Target: swap}
	l, err := NewLoader(entries, dir, vocab, CleanIU, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := collect(t, l, 0)[0]
	toks := tensors.MustCopyFlatData[int32](b.Tokens)
	// s00 "heart normal . lungs clear ." -> "lungs clear . heart normal ." = 5 3 1 4 6 1.
	if want := []int32{5, 3, 1, 4, 6, 1, 0, 0}; fmt.Sprint(toks[:8]) != fmt.Sprint(want) {
		t.Errorf("tokens %v, want %v", toks[:8], want)
	}
	if b.Reports[0] != "heart normal . lungs clear ." {
		t.Errorf("report rewritten too: %q", b.Reports[0])
	}
}

func TestLoaderDeterminism(t *testing.T) {
	dir := t.TempDir()
	entries := tinySet(t, dir, 11)
	vocab := BuildVocab([]string{"heart normal ."}, 1)
	base := LoaderConfig{BatchSize: 3, MaxLen: 8, Views: 2, Shuffle: true, Seed: 7,
		Transform: Transform{Resize: 16, Crop: 12, Train: true, RotateDeg: 5, Channels: 1}}
	run := func(workers, prefetch int, cache bool, epoch int) []*Batch {
		cfg := base
		cfg.Workers, cfg.Prefetch, cfg.Cache = workers, prefetch, cache
		l, err := NewLoader(entries, dir, vocab, CleanIU, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return collect(t, l, epoch)
	}
	ref := run(1, 1, false, 3)
	for _, c := range []struct{ w, p int }{{4, 1}, {4, 8}, {2, 3}} {
		got := run(c.w, c.p, false, 3)
		if !sameBatches(ref, got, 0) {
			t.Errorf("workers=%d prefetch=%d changed epoch 3", c.w, c.p)
		}
	}
	// The cache stores 16-bit values: identical up to quantisation.
	if got := run(2, 2, true, 3); !sameBatches(ref, got, 1e-3) {
		t.Error("cached loader differs from uncached")
	}
	other := run(2, 2, false, 4)
	if sameBatches(ref, other, 0) {
		t.Error("epochs 3 and 4 are identical")
	}
	seen := map[string]bool{}
	for _, b := range other {
		for _, id := range b.IDs {
			seen[id] = true
		}
	}
	if len(seen) != 11 {
		t.Errorf("an epoch covered %d of 11 entries", len(seen))
	}
}

func sameBatches(a, b []*Batch, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i].IDs, ",") != strings.Join(b[i].IDs, ",") {
			return false
		}
		x, y := tensors.MustCopyFlatData[float32](a[i].Images), tensors.MustCopyFlatData[float32](b[i].Images)
		for k := range x {
			if math.Abs(float64(x[k]-y[k])) > tol {
				return false
			}
		}
	}
	return true
}

func TestLoaderDropLastAndEarlyStop(t *testing.T) {
	dir := t.TempDir()
	entries := tinySet(t, dir, 7)
	vocab := BuildVocab(nil, 1)
	l, err := NewLoader(entries, dir, vocab, CleanIU, LoaderConfig{BatchSize: 2, MaxLen: 4, Views: 1, DropLast: true, Transform: Transform{Resize: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 3 || len(collect(t, l, 0)) != 3 {
		t.Errorf("DropLast: Len %d", l.Len())
	}
	before := runtime.NumGoroutine()
	for range 5 {
		for _, err := range l.Epoch(1) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+1 {
		t.Errorf("goroutines leaked after early stops: %d -> %d", before, after)
	}
}

func TestLoaderErrors(t *testing.T) {
	dir := t.TempDir()
	entries := tinySet(t, dir, 4)
	vocab := BuildVocab(nil, 1)
	cfg := LoaderConfig{BatchSize: 2, MaxLen: 4, Views: 2, Transform: Transform{Resize: 8}}
	one := append([]Entry(nil), entries...)
	one[1].ImagePaths = one[1].ImagePaths[:1]
	missing := append([]Entry(nil), entries...)
	missing[2].ImagePaths = []string{"nope/0.png", "nope/1.png"}
	for name, c := range map[string]struct {
		entries []Entry
		cfg     LoaderConfig
		want    string
	}{
		"no entries":   {nil, cfg, "no entries"},
		"one view":     {one, cfg, `"s01"`},
		"missing file": {missing, cfg, "nope/0.png"},
		"batch size":   {entries, LoaderConfig{MaxLen: 4, Views: 1, Transform: Transform{Resize: 8}}, "BatchSize"},
		"views":        {entries, LoaderConfig{BatchSize: 1, MaxLen: 4, Views: 3, Transform: Transform{Resize: 8}}, "Views"},
		"transform":    {entries, LoaderConfig{BatchSize: 1, MaxLen: 4, Views: 1}, "Resize"},
	} {
		if _, err := NewLoader(c.entries, dir, vocab, CleanIU, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want mention of %s", name, err, c.want)
		}
	}
	// A corrupt image is reported by the epoch, naming the file.
	if err := os.WriteFile(filepath.Join(dir, "s03", "1.png"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLoader(entries, dir, vocab, CleanIU, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got error
	n := 0
	for _, err := range l.Epoch(0) {
		if err != nil {
			got = err
			break
		}
		n++
	}
	if got == nil || !strings.Contains(got.Error(), filepath.Join("s03", "1.png")) || n != 1 {
		t.Errorf("after %d batches: error %v", n, got)
	}
}

// TestLoaderRealStudies loads the two real IU X-Ray studies with images.
func TestLoaderRealStudies(t *testing.T) {
	root := sharedIU(t)
	ann, err := LoadAnnotation(AnnotationPath(root))
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for _, e := range ann.All() {
		if _, err := os.Stat(filepath.Join(root, "images", e.ImagePaths[0])); err == nil {
			entries = append(entries, e)
		}
	}
	if len(entries) != 2 {
		t.Fatalf("want 2 real studies with images, found %d", len(entries))
	}
	var cleaned []string
	for _, e := range ann.Train {
		cleaned = append(cleaned, CleanIU(e.Report))
	}
	vocab := BuildVocab(cleaned, 3)
	for _, tr := range []Transform{TrainTransform(224), EvalTransform(112), {Resize: 64, Crop: 56, Channels: 1}} {
		l, err := NewLoader(entries, filepath.Join(root, "images"), vocab, CleanIU, LoaderConfig{BatchSize: 2, MaxLen: 60, Views: 2, Transform: tr, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		batches := collect(t, l, 0)
		if len(batches) != 1 {
			t.Fatalf("%d batches", len(batches))
		}
		b := batches[0]
		s, c := tr.Size(), tr.NumChannels()
		if got, want := fmt.Sprint(b.Images.Shape().Dimensions), fmt.Sprint([]int{2, 2, s, s, c}); got != want {
			t.Errorf("%+v: images shape %s, want %s", tr, got, want)
		}
		px := tensors.MustCopyFlatData[float32](b.Images)
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		var sum float64
		for _, v := range px {
			lo, hi = min(lo, v), max(hi, v)
			sum += float64(v)
		}
		// Normalised range is [(0-0.485)/0.229, (1-0.406)/0.225] = [-2.118, 2.640].
		if lo < -2.12 || hi > 2.641 || hi-lo < 2 {
			t.Errorf("%+v: normalised values in [%g, %g]", tr, lo, hi)
		}
		if mean := sum / float64(len(px)); mean < -1.5 || mean > 1.5 {
			t.Errorf("%+v: mean %g implausible for a radiograph", tr, mean)
		}
		toks := tensors.MustCopyFlatData[int32](b.Tokens)
		if toks[0] == 0 || toks[59] != 0 {
			t.Errorf("tokens %v", toks[:60])
		}
		if got := vocab.Decode(toks[:60]); !strings.HasPrefix(CleanIU(entries[0].Report), strings.Fields(got)[0]) {
			t.Errorf("decoded %q does not start the report %q", got, CleanIU(entries[0].Report))
		}
	}
}
