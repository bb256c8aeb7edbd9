package plots

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// checkPNG decodes the PNG at path, checks its size and that it is not a
// blank canvas (at least 3 distinct colours).
func checkPNG(t *testing.T, path string, wantW, wantH int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	b := img.Bounds()
	if wantW > 0 && (b.Dx() != wantW || b.Dy() != wantH) {
		t.Errorf("%s: size %dx%d, want %dx%d", path, b.Dx(), b.Dy(), wantW, wantH)
	}
	colors := map[color.RGBA]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, a := img.At(x, y).RGBA()
			colors[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), uint8(a >> 8)}] = true
		}
	}
	if len(colors) < 3 {
		t.Errorf("%s: only %d distinct colours: blank figure?", path, len(colors))
	}
	return img
}

// checkSVG checks the file is well-formed XML with an <svg> root.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: invalid XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", path, root)
	}
	if !bytes.Contains(data, []byte("<path")) {
		t.Errorf("%s: no <path> element: empty drawing?", path)
	}
}

// noTempFiles fails if an atomic write left a temporary file in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

var twoSeries = []Series{
	{Name: "train", X: []float64{1, 2, 3, 4}, Y: []float64{4, 3, 2.5, 2}},
	{Name: "val", X: []float64{2, 4}, Y: []float64{3.2, 2.4}},
}

func TestLinesWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	paths, err := Both(filepath.Join(dir, "sub", "curves"), func(p string) error {
		return Lines(p, "Loss", "step", "loss", twoSeries...)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "sub", "curves.png"), filepath.Join(dir, "sub", "curves.svg")}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	checkPNG(t, want[0], 600, 400) // 6x4 inches at 100 dpi
	checkSVG(t, want[1])
	noTempFiles(t, filepath.Join(dir, "sub"))
}

func TestLinesSinglePoint(t *testing.T) {
	p := filepath.Join(t.TempDir(), "one.png")
	if err := Lines(p, "", "x", "y", Series{Name: "a", X: []float64{1}, Y: []float64{2}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, 600, 400)
}

func TestLinesRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path string
		series     []Series
		wantErr    string
	}{
		{"no series", "a.png", nil, "no series"},
		{"empty series", "a.png", []Series{{Name: "e"}}, "empty"},
		{"mismatched lengths", "a.png", []Series{{Name: "m", X: []float64{1, 2}, Y: []float64{1}}}, "2 x values but 1 y values"},
		{"NaN", "a.svg", []Series{{Name: "n", X: []float64{1, 2}, Y: []float64{1, math.NaN()}}}, "not finite"},
		{"Inf", "a.svg", []Series{{Name: "i", X: []float64{math.Inf(1)}, Y: []float64{1}}}, "not finite"},
		{"unknown format", "a.jpg", twoSeries, "unsupported output format"},
		{"no extension", "a", twoSeries, "unsupported output format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.path)
			err := Lines(p, "t", "x", "y", c.series...)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
			}
			if _, statErr := os.Stat(p); statErr == nil {
				t.Errorf("%s was written despite the error", p)
			}
		})
	}
}

func TestBars(t *testing.T) {
	bars := []Bar{
		{Group: "BLEU_4", Name: "baseline", Mean: 0.10, Std: 0.01},
		{Group: "BLEU_4", Name: "full", Mean: 0.14, Std: 0.02},
		{Group: "ce_micro_f1", Name: "baseline", Mean: 0.30, Std: 0.05},
		{Group: "ce_micro_f1", Name: "full", Mean: 0.42, Std: 0},
		{Group: "CIDEr", Name: "full", Mean: 0.5, Std: 0.1}, // baseline missing: a gap
	}
	dir := t.TempDir()
	for _, ext := range Exts {
		p := filepath.Join(dir, "bars"+ext)
		if err := Bars(p, "Ablation", "score", bars); err != nil {
			t.Fatal(err)
		}
		if ext == ".png" {
			checkPNG(t, p, 600, 400)
		} else {
			checkSVG(t, p)
		}
	}
}

func TestBarsRejectsBadInput(t *testing.T) {
	cases := []struct {
		name    string
		bars    []Bar
		wantErr string
	}{
		{"empty", nil, "no bars"},
		{"negative std", []Bar{{Group: "g", Name: "n", Mean: 1, Std: -1}}, "std >= 0"},
		{"NaN mean", []Bar{{Group: "g", Name: "n", Mean: math.NaN()}}, "not a finite"},
		{"duplicate", []Bar{{Group: "g", Name: "n", Mean: 1}, {Group: "g", Name: "n", Mean: 2}}, "duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Bars(filepath.Join(t.TempDir(), "b.png"), "t", "y", c.bars)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

// xray returns a synthetic grayscale "X-ray": a bright disc on dark ground.
func xray(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x-w/2), float64(y-h/2)
			v := 40.0
			if dx*dx+dy*dy < float64(w*w)/9 {
				v = 200
			}
			img.SetGray(x, y, color.Gray{uint8(v)})
		}
	}
	return img
}

func TestAttentionOverlay(t *testing.T) {
	weights := make([]float32, 7*7)
	weights[2*7+3] = 1 // one hot patch
	dir := t.TempDir()
	for _, ext := range Exts {
		p := filepath.Join(dir, "att"+ext)
		if err := AttentionOverlay(p, xray(64, 64), weights, 7, 7, "Cardiomegaly"); err != nil {
			t.Fatal(err)
		}
		if ext == ".png" {
			checkPNG(t, p, 600, 510) // (4.5+1.5) x (4.5+0.6) inches
		} else {
			checkSVG(t, p)
		}
	}
}

func TestAttentionOverlayRejectsBadInput(t *testing.T) {
	img := xray(16, 16)
	cases := []struct {
		name         string
		img          image.Image
		weights      []float32
		gridH, gridW int
		wantErr      string
	}{
		{"too few weights", img, make([]float32, 8), 3, 3, "8 weights for a 3x3 grid"},
		{"too many weights", img, make([]float32, 10), 3, 3, "10 weights"},
		{"zero grid", img, nil, 0, 3, "must be positive"},
		{"nil image", nil, make([]float32, 4), 2, 2, "empty image"},
		{"empty image", image.NewGray(image.Rect(0, 0, 0, 0)), make([]float32, 4), 2, 2, "empty image"},
		{"NaN weight", img, []float32{0, float32(math.NaN()), 0, 0}, 2, 2, "not finite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := AttentionOverlay(filepath.Join(t.TempDir(), "a.png"), c.img, c.weights, c.gridH, c.gridW, "t")
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func uniformGray(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

func TestBlendHeatConstantWeightsDarkenUniformly(t *testing.T) {
	// Constant weights normalise to 0 = black in the ExtendedBlackBody map,
	// so each pixel becomes (1-alpha)*gray: 0.5*100 = 50.
	out := BlendHeat(uniformGray(8, 6, 100), []float32{3, 3, 3, 3}, 2, 2, 0.5)
	if b := out.Bounds(); b.Dx() != 8 || b.Dy() != 6 {
		t.Fatalf("size %v, want 8x6", b)
	}
	for i := 0; i < len(out.Pix); i += 4 {
		if got := out.Pix[i : i+3]; got[0] != 50 || got[1] != 50 || got[2] != 50 {
			t.Fatalf("pixel %d = %v, want [50 50 50]", i/4, got)
		}
	}
}

func TestBlendHeatFollowsWeights(t *testing.T) {
	// Weights rise left to right; the colour map's luminance rises with the
	// value, so brightness must not decrease along a row and must rise overall.
	out := BlendHeat(uniformGray(40, 4, 80), []float32{0, 1, 2, 3}, 1, 4, 0.6)
	lum := func(x int) float64 {
		c := out.RGBAAt(x, 2)
		return 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
	}
	for x := 1; x < 40; x++ {
		if lum(x) < lum(x-1)-1 {
			t.Fatalf("luminance drops at x=%d: %.1f -> %.1f", x, lum(x-1), lum(x))
		}
	}
	if lum(39)-lum(0) < 50 {
		t.Errorf("luminance range %.1f..%.1f too flat for weights 0..3", lum(0), lum(39))
	}
	// Bilinear, not nearest: the first cell (x 0..9) is not a flat block.
	if lum(9) <= lum(4) {
		t.Errorf("no interpolation inside the first cell: lum(4)=%.1f lum(9)=%.1f", lum(4), lum(9))
	}
}

func TestHeatmap(t *testing.T) {
	n := 27
	m := make([][]float64, n)
	labels := make([]string, n)
	for i := range m {
		m[i] = make([]float64, n)
		labels[i] = "concept_" + string(rune('a'+i%26))
		for j := range m[i] {
			if i == j || (i/5 == j/5) || i == 0 || j == 0 {
				m[i][j] = 1
			}
		}
	}
	dir := t.TempDir()
	for _, ext := range Exts {
		p := filepath.Join(dir, "adj"+ext)
		if err := Heatmap(p, "Adjacency", m, labels, labels); err != nil {
			t.Fatal(err)
		}
		if ext == ".png" {
			checkPNG(t, p, 0, 0)
		} else {
			checkSVG(t, p)
		}
	}
	// Nil labels and a constant matrix are fine.
	if err := Heatmap(filepath.Join(dir, "c.png"), "", [][]float64{{2, 2}, {2, 2}}, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestHeatmapRejectsBadInput(t *testing.T) {
	cases := []struct {
		name       string
		m          [][]float64
		rows, cols []string
		wantErr    string
	}{
		{"empty", nil, nil, nil, "empty matrix"},
		{"empty row", [][]float64{{}}, nil, nil, "empty matrix"},
		{"ragged", [][]float64{{1, 2}, {3}}, nil, nil, "row 1 has 1 columns"},
		{"NaN", [][]float64{{1, math.NaN()}}, nil, nil, "[0][1] is not finite"},
		{"row labels", [][]float64{{1, 2}}, []string{"a", "b"}, nil, "2 row labels for 1 rows"},
		{"col labels", [][]float64{{1, 2}}, nil, []string{"a"}, "1 column labels for 2 columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Heatmap(filepath.Join(t.TempDir(), "h.svg"), "t", c.m, c.rows, c.cols)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func TestReadLog(t *testing.T) {
	recs, err := ReadLog("testdata/log.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// 1 config + 8 step + 2 epoch lines; the truncated last line is dropped.
	if len(recs) != 11 {
		t.Fatalf("%d records, want 11", len(recs))
	}
	if r := recs[1]; r.Kind != "step" || r.Step != 1 || r.Epoch != 1 || r.Values["loss"] != 4.0 || r.Values["lr"] != 1e-5 {
		t.Errorf("first step record = %+v", r)
	}
	if r := recs[4]; r.Kind != "epoch" || r.Split != "val" || r.Values["CIDEr"] != 0.3 || r.Values["ce_micro_f1"] != 0.3 {
		t.Errorf("first epoch record = %+v", r)
	}
	if _, ok := recs[2].Values["extra"]; ok {
		t.Errorf("non-numeric field kept as a value")
	}
}

func TestReadLogErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"kind\":\"step\",\"step\":1,\"loss\":1}\nnot json\n{\"kind\":\"step\",\"step\":2,\"loss\":1}\n"), 0o644)
	if _, err := ReadLog(bad); err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Errorf("malformed middle line: err = %v, want file:line", err)
	}
	if _, err := ReadLog(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Errorf("missing file: no error")
	}
	kind := filepath.Join(dir, "kind.jsonl")
	os.WriteFile(kind, []byte("{\"kind\":3}\n"), 0o644)
	if _, err := ReadLog(kind); err == nil || !strings.Contains(err.Error(), `"kind"`) {
		t.Errorf("numeric kind: err = %v", err)
	}
}

func TestLossCurves(t *testing.T) {
	out := t.TempDir()
	paths, err := LossCurves("testdata/log.jsonl", out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	want := "loss.png loss.svg lr.png lr.svg val_ce.png val_ce.svg val_nlg.png val_nlg.svg"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("files %q, want %q", got, want)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".png") {
			checkPNG(t, p, 600, 400)
		} else {
			checkSVG(t, p)
		}
	}
	noTempFiles(t, out)
}

func TestIsMetricKey(t *testing.T) {
	for k, want := range map[string]bool{
		"BLEU_4": true, "CIDEr": true, "ce_micro_f1": true, "ce_example_f1": true,
		"ce_micro_precision": false, "ce_macro_recall": false, "loss": false,
		"epoch_seconds": false, "sec_per_step": false,
	} {
		if got := isMetricKey(k); got != want {
			t.Errorf("isMetricKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestLossCurvesOnlyWhatIsPresent(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	os.WriteFile(log, []byte(`{"kind":"step","step":1,"loss":2}
{"kind":"step","step":2,"loss":1.5}
`), 0o644)
	paths, err := LossCurves(log, filepath.Join(dir, "fig"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || filepath.Base(paths[0]) != "loss.png" {
		t.Fatalf("paths %v, want only loss.png and loss.svg", paths)
	}
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, []byte("\n{\"kind\":\"config\"}\n"), 0o644)
	if _, err := LossCurves(empty, dir); err == nil || !strings.Contains(err.Error(), "no step or epoch lines") {
		t.Errorf("empty log: err = %v", err)
	}
}

func FuzzReadLog(f *testing.F) {
	seed, _ := os.ReadFile("testdata/log.jsonl")
	f.Add(seed)
	f.Add([]byte(`{"kind":"step","step":1e300,"loss":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseLog("fuzz.jsonl", data) // must not panic
		if err == nil {
			StepSeries(recs, "loss")
		}
	})
}

func BenchmarkBlendHeat224(b *testing.B) {
	img := xray(224, 224)
	w := make([]float32, 14*14)
	for i := range w {
		w[i] = float32(i % 13)
	}
	for b.Loop() {
		BlendHeat(img, w, 14, 14, OverlayAlpha)
	}
}

func BenchmarkLossCurvesPNG(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := LossCurves("testdata/log.jsonl", dir); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMeanStd(t *testing.T) {
	cells, err := ReadResults("testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	bars := MeanStd(cells)
	// Hand-computed: full BLEU_4 over {0.15, 0.17, 0.16}: mean 0.16, sample std 0.01;
	// baseline ce_micro_f1 over {0.30, 0.34}: mean 0.32, std 0.04/sqrt(2).
	want := map[[2]string][2]float64{
		{"BLEU_4", "full"}:          {0.16, 0.01},
		{"ce_micro_f1", "baseline"}: {0.32, 0.04 / math.Sqrt2},
		{"CIDEr", "baseline"}:       {0.42, 0.02 * math.Sqrt2},
	}
	found := 0
	for _, b := range bars {
		if w, ok := want[[2]string{b.Group, b.Name}]; ok {
			found++
			if math.Abs(b.Mean-w[0]) > 1e-9 || math.Abs(b.Std-w[1]) > 1e-9 {
				t.Errorf("%s/%s = %.6f ± %.6f, want %.6f ± %.6f", b.Group, b.Name, b.Mean, b.Std, w[0], w[1])
			}
		}
	}
	if found != len(want) || len(bars) != 8 {
		t.Errorf("got %d bars (%d checked), want 8 bars", len(bars), found)
	}
	if bars[0].Group != "BLEU_4" || bars[0].Name != "baseline" {
		t.Errorf("first bar %s/%s, want BLEU_4/baseline (usual metric order, configs in file order)", bars[0].Group, bars[0].Name)
	}
}

func TestAblationBars(t *testing.T) {
	out := t.TempDir()
	paths, err := AblationBars("testdata/results.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Fatalf("paths %v, want ablation_nlg and ablation_ce, png and svg", paths)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".png") {
			checkPNG(t, p, 600, 400)
		} else {
			checkSVG(t, p)
		}
	}
}

func TestReadResultsErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, body, wantErr string }{
		{"not json", "{", "not a results file"},
		{"no cells", `{"cells":[]}`, "no cells"},
		{"no config", `{"cells":[{"seed":1,"metrics":{"BLEU_4":1}}]}`, "cell 0 has no config"},
		{"no metrics", `{"cells":[{"config":"a","seed":1}]}`, "cell 0 (a, seed 1) has no metrics"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".json")
			os.WriteFile(p, []byte(c.body), 0o644)
			_, err := AblationBars(p, dir)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	dir := t.TempDir()
	vals := []float64{1, 2, 2, 3, 3, 3, 4, 4, 5, 12}
	for _, ext := range Exts {
		p := filepath.Join(dir, "h"+ext)
		if err := Histogram(p, "Report length", "words", vals, 0); err != nil {
			t.Fatal(err)
		}
		if ext == ".png" {
			checkPNG(t, p, 600, 400)
		} else {
			checkSVG(t, p)
		}
	}
	for _, bad := range [][]float64{nil, {1, math.NaN()}} {
		if err := Histogram(filepath.Join(dir, "x.png"), "", "", bad, 5); err == nil {
			t.Errorf("Histogram(%v): no error", bad)
		}
	}
}

func TestStepSeries(t *testing.T) {
	recs, err := ReadLog("testdata/log.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := StepSeries(recs, "loss")
	// Steps 1..7 (step 8 is truncated); step 5 was logged twice, the last (2.5) wins.
	wantX := []float64{1, 2, 3, 4, 5, 6, 7}
	wantY := []float64{4.0, 3.5, 3.1, 2.8, 2.5, 2.3, 2.1}
	if len(s.X) != len(wantX) {
		t.Fatalf("X = %v, want %v", s.X, wantX)
	}
	for i := range wantX {
		if s.X[i] != wantX[i] || s.Y[i] != wantY[i] {
			t.Errorf("point %d = (%v, %v), want (%v, %v)", i, s.X[i], s.Y[i], wantX[i], wantY[i])
		}
	}
	if names := LossSeries(recs); len(names) != 5 || names[0].Name != "loss" || names[4].Name != "kd_local" {
		t.Errorf("LossSeries: %d series", len(names))
	}
}

func TestPreciseTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string // a label that must appear
	}{
		{0, 1, "0.5"},
		{0.0371, 0.0378, "0.0374"},
		{10, 30, "20"},
	} {
		var labels []string
		for _, tk := range (preciseTicks{}).Ticks(c.min, c.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if !slices.Contains(labels, c.want) {
			t.Errorf("ticks over [%v, %v]: labels %v lack %q", c.min, c.max, labels, c.want)
		}
		seen := map[string]bool{}
		for _, l := range labels {
			if seen[l] {
				t.Errorf("ticks over [%v, %v]: duplicate label %q in %v", c.min, c.max, l, labels)
			}
			seen[l] = true
		}
	}
}
