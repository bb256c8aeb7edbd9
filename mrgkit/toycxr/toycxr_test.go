package toycxr

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sort"
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
	ann, err := data.LoadAnnotation(filepath.Join(dir, "annotation.json"))
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

// auc is the probability that a positive scores above a negative.
func auc(pos, neg []float64) float64 {
	sort.Float64s(neg)
	var s float64
	for _, p := range pos {
		lt := sort.SearchFloat64s(neg, p)
		le := sort.Search(len(neg), func(i int) bool { return neg[i] > p })
		s += float64(lt) + 0.5*float64(le-lt) // ties count half
	}
	return s / float64(len(pos)*len(neg))
}

func meanBox(img *image.Gray, u0, v0, u1, v1 float64) float64 {
	n := img.Bounds().Dx()
	var s, c float64
	for y := int(v0 * float64(n)); y < int(v1*float64(n)); y++ {
		for x := int(u0 * float64(n)); x < int(u1*float64(n)); x++ {
			s += float64(img.Pix[y*img.Stride+x])
			c++
		}
	}
	return s / c
}

// TestFindingsAreVisible checks, with crude hand-made image features, that
// findings are visible at 64 px and default difficulty.
func TestFindingsAreVisible(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Size = 64
	features := map[int]func(front, lat *image.Gray) float64{
		// The enlarged heart fills the lower left lung (image right).
		chexpert.Cardiomegaly: func(f, _ *image.Gray) float64 { return meanBox(f, 0.62, 0.55, 0.76, 0.75) },
		// Effusion whitens the lung bases.
		chexpert.PleuralEffusion: func(f, l *image.Gray) float64 {
			return meanBox(f, 0.12, 0.6, 0.3, 0.74) + meanBox(f, 0.7, 0.6, 0.88, 0.74) + meanBox(l, 0.55, 0.6, 0.8, 0.75)
		},
		// Perihilar haze brightens the central lungs.
		chexpert.Edema: func(f, _ *image.Gray) float64 {
			return meanBox(f, 0.26, 0.35, 0.4, 0.58) + meanBox(f, 0.6, 0.35, 0.74, 0.58)
		},
		// A pneumothorax darkens an apex.
		chexpert.Pneumothorax: func(f, _ *image.Gray) float64 {
			r := meanBox(f, 0.14, 0.15, 0.32, 0.4) - meanBox(f, 0.2, 0.45, 0.32, 0.55)
			l := meanBox(f, 0.68, 0.15, 0.86, 0.4) - meanBox(f, 0.68, 0.45, 0.8, 0.55)
			return -min(r, l)
		},
		// Metal is the brightest thing in the image.
		chexpert.SupportDevices: func(f, _ *image.Gray) float64 {
			c := 0.0
			for _, p := range f.Pix {
				if p > 240 {
					c++
				}
			}
			return c
		},
	}
	minAUC := map[int]float64{chexpert.Cardiomegaly: 0.85, chexpert.PleuralEffusion: 0.8, chexpert.SupportDevices: 0.75, chexpert.Edema: 0.8, chexpert.Pneumothorax: 0.65}
	scores := map[int][2][]float64{}
	for i := range 400 {
		st := GenerateStudy(cfg, i)
		for o, f := range features {
			s := scores[o]
			switch st.Entry.Labels[o] {
			case chexpert.Positive:
				s[0] = append(s[0], f(st.Images[0], st.Images[1]))
			case chexpert.Negative, chexpert.Blank:
				s[1] = append(s[1], f(st.Images[0], st.Images[1]))
			}
			scores[o] = s
		}
	}
	for o, s := range scores {
		a := auc(s[0], s[1])
		t.Logf("%s: %d positives, AUC of a crude feature %.3f", chexpert.Observations[o], len(s[0]), a)
		if len(s[0]) < 10 || a < minAUC[o] {
			t.Errorf("%s: %d positives, AUC %.3f < %.2f: finding not visible enough", chexpert.Observations[o], len(s[0]), a, minAUC[o])
		}
	}
}
