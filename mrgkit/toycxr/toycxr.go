// Package toycxr generates the synthetic chest X-ray dataset mrgkit runs on
// by default: radiograph-like frontal and lateral images whose drawn findings
// follow a per-study CheXpert label vector, with IU X-Ray style reports.
//
// Generation is deterministic from the seed: each study draws from its own
// generator, so the output does not depend on goroutine scheduling.
package toycxr

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
)

// Config sizes the dataset.
type Config struct {
	Train, Val, Test int
	Size             int     // image side in pixels
	Seed             int64   // the whole dataset is a function of Seed (and the other fields)
	Difficulty       float64 // 0 easy (large, contrasty findings) .. 1 hard (small, faint, noisy)
	Views            int     // 1 frontal; 2 frontal and lateral
}

// DefaultConfig is the embedded default dataset: IU X-Ray's R2Gen split sizes, 128 px, two views.
func DefaultConfig() Config {
	return Config{Train: 2069, Val: 296, Test: 590, Size: 128, Seed: 1, Difficulty: 0.3, Views: 2}
}

// SmallConfig is a quick set for tests: 48/16/16 studies at 64 px.
func SmallConfig() Config {
	return Config{Train: 48, Val: 16, Test: 16, Size: 64, Seed: 1, Difficulty: 0.3, Views: 2}
}

// Total is the number of studies.
func (c Config) Total() int { return c.Train + c.Val + c.Test }

// Scale returns the config with n studies in all, keeping the split ratio.
func (c Config) Scale(n int) Config {
	t := c.Total()
	if t == 0 || n <= 0 {
		return c
	}
	c.Val = int(math.Round(float64(c.Val) * float64(n) / float64(t)))
	c.Test = int(math.Round(float64(c.Test) * float64(n) / float64(t)))
	c.Train = max(0, n-c.Val-c.Test)
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Train < 0 || c.Val < 0 || c.Test < 0 || c.Total() == 0:
		return errors.Errorf("toycxr: split sizes must be >= 0 with at least one study, got %d/%d/%d", c.Train, c.Val, c.Test)
	case c.Size < 32 || c.Size > 1024:
		return errors.Errorf("toycxr: Size must be in [32, 1024] pixels, got %d", c.Size)
	case c.Difficulty < 0 || c.Difficulty > 1 || math.IsNaN(c.Difficulty):
		return errors.Errorf("toycxr: Difficulty must be in [0, 1], got %g", c.Difficulty)
	case c.Views != 1 && c.Views != 2:
		return errors.Errorf("toycxr: Views must be 1 or 2, got %d", c.Views)
	}
	return nil
}

// studyRNG is study i's own generator.
func studyRNG(cfg Config, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)+0x7c5a1))
}

// ID is the study id of index i.
func ID(i int) string { return fmt.Sprintf("toy%05d", i) }

// Study is one generated study in memory.
type Study struct {
	Entry  data.Entry
	Images []*image.Gray // frontal, then lateral when Views is 2
}

// GenerateStudy builds study i of a dataset in memory (index i counts over
// train, val and test in that order).
func GenerateStudy(cfg Config, i int) Study {
	split := "train"
	switch {
	case i >= cfg.Train+cfg.Val:
		split = "test"
	case i >= cfg.Train:
		split = "val"
	}
	rng := studyRNG(cfg, i)
	s := sampleStudy(rng)
	report := writeReport(rng, s) // may restate a normal study's negatives
	l := s.labels()
	id := ID(i)
	e := data.Entry{ID: id, Report: report, Split: split, Labels: &l}
	st := Study{Entry: e}
	st.Images = append(st.Images, toGray(cfg.Size, renderFrontal(cfg.Size, rng, s, cfg.Difficulty)))
	e.ImagePaths = []string{id + "/0.png"}
	if cfg.Views == 2 {
		st.Images = append(st.Images, toGray(cfg.Size, renderLateral(cfg.Size, rng, s, cfg.Difficulty)))
		e.ImagePaths = append(e.ImagePaths, id+"/1.png")
	}
	st.Entry = e
	return st
}

func toGray(n int, pix []float64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	for i, v := range pix {
		img.Pix[i] = uint8(math.Round(clamp01(v) * 255))
	}
	return img
}

// Generate writes the dataset: dir/annotation.json (R2Gen layout with
// labels and split) and dir/images/<id>/0.png (frontal), 1.png (lateral).
// progress, when not nil, receives a few lines of progress.
func Generate(dir string, cfg Config, progress io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return errors.Wrap(err, "toycxr")
	}
	start := time.Now()
	n := cfg.Total()
	entries := make([]data.Entry, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	var done atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			enc := png.Encoder{CompressionLevel: png.BestSpeed}
			for i := range jobs {
				st := GenerateStudy(cfg, i)
				err := os.MkdirAll(filepath.Join(dir, "images", st.Entry.ID), 0o755)
				for v, img := range st.Images {
					if err != nil {
						break
					}
					buf.Reset()
					if err = enc.Encode(&buf, img); err == nil {
						err = os.WriteFile(filepath.Join(dir, "images", st.Entry.ImagePaths[v]), buf.Bytes(), 0o644)
					}
				}
				if err != nil {
					errOnce.Do(func() { firstErr = errors.Wrap(err, "toycxr: writing images") })
				}
				entries[i] = st.Entry
				if k := done.Add(1); progress != nil && (k%500 == 0 || int(k) == n) {
					fmt.Fprintf(progress, "toycxr: %d/%d studies (%.1fs)\n", k, n, time.Since(start).Seconds())
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	ann := &data.Annotation{
		Train: entries[:cfg.Train],
		Val:   entries[cfg.Train : cfg.Train+cfg.Val],
		Test:  entries[cfg.Train+cfg.Val:],
	}
	if err := ann.Save(data.AnnotationPath(dir)); err != nil {
		return err
	}
	if progress != nil {
		fmt.Fprintf(progress, "toycxr: wrote %s (%d/%d/%d studies, %d px, %d view(s)) in %.1fs\n",
			dir, cfg.Train, cfg.Val, cfg.Test, cfg.Size, cfg.Views, time.Since(start).Seconds())
	}
	return nil
}

// Stats counts label states per observation and split.
type Stats struct {
	Studies map[string]int                              // per split
	Counts  map[string][chexpert.NumObservations][4]int // split -> observation -> state class
	Words   map[string]int                              // mean report length (words) per split
	// Visibility, when set, adds a column: the AUC of a crude pixel feature
	// per drawn observation at the model's input size (all splits).
	Visibility *Visibility
}

// LabelStats counts the label states of entries (entries without labels count as blank).
func LabelStats(ann *data.Annotation) *Stats {
	s := &Stats{Studies: map[string]int{}, Counts: map[string][chexpert.NumObservations][4]int{}, Words: map[string]int{}}
	for _, split := range data.Splits {
		es, _ := ann.Split(split)
		var c [chexpert.NumObservations][4]int
		words := 0
		for _, e := range es {
			var l chexpert.Labels
			if e.Labels != nil {
				l = *e.Labels
			}
			for o, st := range l {
				c[o][st.Class()]++
			}
			words += len(data.PyFields(e.Report))
		}
		s.Studies[split] = len(es)
		s.Counts[split] = c
		if len(es) > 0 {
			s.Words[split] = words / len(es)
		}
	}
	return s
}

// String renders the statistics as a table: positive/uncertain/negative per split.
func (s *Stats) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-27s", "observation (pos/unc/neg)")
	for _, split := range data.Splits {
		fmt.Fprintf(&b, " %18s", fmt.Sprintf("%s (%d)", split, s.Studies[split]))
	}
	if s.Visibility != nil {
		fmt.Fprintf(&b, " %13s", fmt.Sprintf("AUC at %d px", s.Visibility.Crop))
	}
	b.WriteByte('\n')
	for o, name := range chexpert.Observations {
		fmt.Fprintf(&b, "%-27s", name)
		for _, split := range data.Splits {
			c := s.Counts[split][o]
			fmt.Fprintf(&b, " %18s", fmt.Sprintf("%d/%d/%d", c[chexpert.Positive.Class()], c[chexpert.Uncertain.Class()], c[chexpert.Negative.Class()]))
		}
		if s.Visibility != nil {
			fmt.Fprintf(&b, " %13s", s.Visibility.cell(o))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%-27s", "mean report words")
	for _, split := range data.Splits {
		fmt.Fprintf(&b, " %18d", s.Words[split])
	}
	b.WriteByte('\n')
	return b.String()
}

// Describe loads dir/annotation.json and returns its label statistics.
func Describe(dir string) (*Stats, error) {
	ann, err := data.LoadAnnotation(data.AnnotationPath(dir))
	if err != nil {
		return nil, err
	}
	return LabelStats(ann), nil
}
