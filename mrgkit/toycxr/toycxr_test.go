package toycxr

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
)

func dirHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestGenerateSmall(t *testing.T) {
	cfg := SmallConfig()
	dir := t.TempDir()
	var progress bytes.Buffer
	if err := Generate(dir, cfg, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "48/16/16") {
		t.Errorf("progress %q", progress.String())
	}
	ann, err := data.LoadAnnotation(data.AnnotationPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(ann.Train) != 48 || len(ann.Val) != 16 || len(ann.Test) != 16 {
		t.Fatalf("splits %d/%d/%d", len(ann.Train), len(ann.Val), len(ann.Test))
	}
	for _, e := range ann.All() {
		if e.Labels == nil || len(e.ImagePaths) != 2 || e.ImagePaths[0] != e.ID+"/0.png" || e.ImagePaths[1] != e.ID+"/1.png" {
			t.Fatalf("entry %+v", e)
		}
		for _, p := range e.ImagePaths {
			img, err := data.DecodeImage(filepath.Join(dir, "images", p))
			if err != nil {
				t.Fatal(err)
			}
			if img.W != 64 || img.H != 64 {
				t.Fatalf("%s is %dx%d", p, img.W, img.H)
			}
		}
	}
	// Same seed, different parallelism: byte-identical output.
	prev := runtime.GOMAXPROCS(1)
	dir2 := t.TempDir()
	err = Generate(dir2, cfg, nil)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if dirHash(t, dir) != dirHash(t, dir2) {
		t.Error("same seed gave different datasets")
	}
	cfg.Seed = 2
	cfg.Train, cfg.Val, cfg.Test = 4, 0, 0
	dir3 := t.TempDir()
	if err := Generate(dir3, cfg, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "images", "toy00000", "0.png"))
	b, _ := os.ReadFile(filepath.Join(dir3, "images", "toy00000", "0.png"))
	if bytes.Equal(a, b) {
		t.Error("different seeds gave the same image")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{DefaultConfig(), true},
		{SmallConfig(), true},
		{Config{Train: 1, Size: 64, Views: 1}, true},
		{Config{Size: 64, Views: 2}, false},
		{Config{Train: -1, Val: 3, Size: 64, Views: 2}, false},
		{Config{Train: 1, Size: 8, Views: 2}, false},
		{Config{Train: 1, Size: 64, Views: 3}, false},
		{Config{Train: 1, Size: 64, Views: 2, Difficulty: 1.5}, false},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: Validate() = %v", c.cfg, err)
		}
	}
	d := DefaultConfig()
	if d.Train != 2069 || d.Val != 296 || d.Test != 590 || d.Size != 128 || d.Views != 2 {
		t.Errorf("DefaultConfig %+v", d)
	}
	s := d.Scale(1000)
	if s.Total() != 1000 || s.Val != 100 || s.Test != 200 {
		t.Errorf("Scale(1000) = %+v", s)
	}
	if err := Generate(t.TempDir(), Config{}, nil); err == nil {
		t.Error("Generate accepted an empty config")
	}
}

// mentions maps each observation to words one of which every positive or
// uncertain statement of it contains.
var mentions = map[int][]string{
	chexpert.EnlargedCardiomediastinum: {"mediastin"},
	chexpert.Cardiomegaly:              {"heart", "cardiomegaly", "cardiac", "cardiomediastinal"},
	chexpert.LungOpacity:               {"opacity", "infiltrate", "airspace disease"},
	chexpert.LungLesion:                {"nodul", "mass"},
	chexpert.Edema:                     {"edema"},
	chexpert.Consolidation:             {"consolidation"},
	chexpert.Pneumonia:                 {"pneumonia"},
	chexpert.Atelectasis:               {"atelectasis"},
	chexpert.Pneumothorax:              {"pneumothorax"},
	chexpert.PleuralEffusion:           {"effusion"},
	chexpert.PleuralOther:              {"pleural thickening"},
	chexpert.Fracture:                  {"fracture"},
	chexpert.SupportDevices:            {"pacemaker", "tube", "line", "catheter", "sternotomy"},
}

func TestReportsFollowLabels(t *testing.T) {
	cfg := Config{Train: 600, Size: 32, Views: 1, Seed: 3}
	hedges := []string{"possibl", "may", "cannot be excluded", "questionable", "borderline", "likely", "not excluded", "upper limits"}
	var stateCount [chexpert.NumStates]int
	for i := range cfg.Train {
		rng := studyRNG(cfg, i)
		s := sampleStudy(rng)
		r := strings.ToLower(writeReport(rng, s))
		l := s.labels()
		for o := range chexpert.NumObservations - 1 {
			stateCount[l[o]]++
			found := false
			for _, w := range mentions[o] {
				found = found || strings.Contains(r, w)
			}
			if l[o] != chexpert.Blank && !found {
				t.Fatalf("study %d: %s is %v but the report does not mention it: %q", i, chexpert.Observations[o], l[o], r)
			}
			if l[o] == chexpert.Uncertain {
				hedged := false
				for _, h := range hedges {
					hedged = hedged || strings.Contains(r, h)
				}
				if !hedged {
					t.Fatalf("study %d: %s uncertain but no hedge in %q", i, chexpert.Observations[o], r)
				}
			}
		}
		nf := l[chexpert.NoFinding] == chexpert.Positive
		abnormal := false
		for o := range chexpert.NumObservations - 2 {
			abnormal = abnormal || l[o] == chexpert.Positive || l[o] == chexpert.Uncertain
		}
		if nf == abnormal {
			t.Fatalf("study %d: No Finding %v with abnormal=%v", i, l[chexpert.NoFinding], abnormal)
		}
	}
	for st, n := range stateCount {
		if n < 80 {
			t.Errorf("state %v stated only %d times in 600 studies (want >= 80)", chexpert.State(st), n)
		}
	}
}

// visibilityMin is the least AUC each drawn observation's crude feature
// must reach at the cpu preset's input (resize 72, centre crop 64).
var visibilityMin = map[int]float64{
	chexpert.EnlargedCardiomediastinum: 0.95,
	chexpert.Cardiomegaly:              0.92,
	chexpert.LungOpacity:               0.83,
	chexpert.LungLesion:                0.85,
	chexpert.Edema:                     0.95,
	chexpert.Consolidation:             0.90,
	chexpert.Atelectasis:               0.90,
	chexpert.Pneumothorax:              0.88,
	chexpert.PleuralEffusion:           0.88,
	chexpert.PleuralOther:              0.90,
	chexpert.Fracture:                  0.90,
	chexpert.SupportDevices:            0.95,
}

// TestFindingsAreVisible checks, with crude hand-made image features, that
// every drawn finding is visible at the model's 64 px input and default
// difficulty: default 128 px images through the eval transform 72 → 64.
func TestFindingsAreVisible(t *testing.T) {
	cfg := DefaultConfig()
	tr := data.Transform{Resize: 72, Crop: 64, Channels: 1}
	const n = 800
	labels := make([]chexpert.Labels, n)
	feats := make([][chexpert.NumObservations]float64, n)
	for i := range n {
		st := GenerateStudy(cfg, i)
		labels[i] = *st.Entry.Labels
		f, err := Features(st.Images, tr)
		if err != nil {
			t.Fatal(err)
		}
		feats[i] = f
	}
	vis := VisibilityAUC(labels, feats, tr.Resize, tr.Crop)
	for o := range chexpert.NumObservations - 1 {
		if !Drawn(o) {
			continue
		}
		t.Logf("%-27s %3d positives, AUC of a crude feature at 64 px %.3f", chexpert.Observations[o], vis.Pos[o], vis.AUC[o])
		if vis.Pos[o] < 20 || !(vis.AUC[o] >= visibilityMin[o]) {
			t.Errorf("%s: %d positives, AUC %.3f < %.2f: finding not visible enough", chexpert.Observations[o], vis.Pos[o], vis.AUC[o], visibilityMin[o])
		}
	}
}

func TestVisibilityAUC(t *testing.T) {
	P, N, U, B := chexpert.Positive, chexpert.Negative, chexpert.Uncertain, chexpert.Blank
	lab := func(st chexpert.State) chexpert.Labels {
		var l chexpert.Labels
		for o := range l {
			l[o] = st
		}
		return l
	}
	feat := func(x float64) [chexpert.NumObservations]float64 {
		var f [chexpert.NumObservations]float64
		for o := range f {
			f[o] = x
		}
		return f
	}
	for _, c := range []struct {
		name   string
		states []chexpert.State
		scores []float64
		want   float64
	}{
		{"separated", []chexpert.State{P, P, N, B}, []float64{3, 2, 1, 0}, 1},
		{"reversed", []chexpert.State{P, N, B}, []float64{0, 1, 2}, 0},
		{"ties count half", []chexpert.State{P, N}, []float64{1, 1}, 0.5},
		{"uncertain left out", []chexpert.State{P, U, N}, []float64{2, 9, 1}, 1},
		{"one of two", []chexpert.State{P, N, B}, []float64{1, 0, 2}, 0.5},
	} {
		var ls []chexpert.Labels
		var fs [][chexpert.NumObservations]float64
		for i, st := range c.states {
			ls = append(ls, lab(st))
			fs = append(fs, feat(c.scores[i]))
		}
		v := VisibilityAUC(ls, fs, 72, 64)
		if v.AUC[chexpert.Fracture] != c.want {
			t.Errorf("%s: AUC %v, want %v", c.name, v.AUC[chexpert.Fracture], c.want)
		}
		if !math.IsNaN(v.AUC[chexpert.Pneumonia]) {
			t.Errorf("%s: Pneumonia is not drawn but got AUC %v", c.name, v.AUC[chexpert.Pneumonia])
		}
	}
	st := &Stats{Visibility: VisibilityAUC([]chexpert.Labels{lab(P), lab(N)}, [][chexpert.NumObservations]float64{feat(1), feat(0)}, 72, 64)}
	out := st.String()
	for _, w := range []string{"AUC at 64 px", "not drawn", "1.00"} {
		if !strings.Contains(out, w) {
			t.Errorf("stats table lacks %q:\n%s", w, out)
		}
	}
	if _, err := Features(nil, data.Transform{Resize: 72, Crop: 64}); err == nil {
		t.Error("Features accepted no images")
	}
	if _, err := DescribeVisibility(t.TempDir(), 64, 72); err == nil {
		t.Error("DescribeVisibility accepted a crop larger than the resize")
	}
}
