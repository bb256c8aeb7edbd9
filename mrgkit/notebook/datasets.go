package notebook

import (
	"fmt"
	"html"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/pkg/errors"
)

// PlaneToGray converts a data.Plane (values in [0,1]) to an 8-bit image.
func PlaneToGray(p *data.Plane) *image.Gray { return p.Gray() }

// LoadImage decodes a PNG or JPEG X-ray to grayscale (errors name the file).
func LoadImage(path string) (*image.Gray, error) {
	p, err := data.DecodeImage(path)
	if err != nil {
		return nil, err
	}
	return PlaneToGray(p), nil
}

// LabelCount is how many studies have each state of one observation.
type LabelCount struct {
	Observation                          string
	Positive, Negative, Uncertain, Blank int
}

// LabelCounts counts label states per CheXpert observation over the
// entries that carry labels; unlabeled is the number without labels.
func LabelCounts(entries []data.Entry) (counts []LabelCount, unlabeled int) {
	counts = make([]LabelCount, chexpert.NumObservations)
	for i, o := range chexpert.Observations {
		counts[i].Observation = o
	}
	for _, e := range entries {
		if e.Labels == nil {
			unlabeled++
			continue
		}
		for i, s := range e.Labels {
			switch s {
			case chexpert.Positive:
				counts[i].Positive++
			case chexpert.Negative:
				counts[i].Negative++
			case chexpert.Uncertain:
				counts[i].Uncertain++
			default:
				counts[i].Blank++
			}
		}
	}
	return counts, unlabeled
}

// LabelBars turns label counts into bars (group = observation, name =
// state) for plots.Bars.
func LabelBars(counts []LabelCount) []plots.Bar {
	var bars []plots.Bar
	for _, c := range counts {
		bars = append(bars,
			plots.Bar{Group: c.Observation, Name: "positive", Mean: float64(c.Positive)},
			plots.Bar{Group: c.Observation, Name: "negative", Mean: float64(c.Negative)},
			plots.Bar{Group: c.Observation, Name: "uncertain", Mean: float64(c.Uncertain)})
	}
	return bars
}

// ReportLengths returns the number of words of each cleaned report.
func ReportLengths(entries []data.Entry, clean func(string) string) []float64 {
	out := make([]float64, len(entries))
	for i, e := range entries {
		out[i] = float64(len(data.PyFields(clean(e.Report))))
	}
	return out
}

// WordCount is a word and its number of occurrences.
type WordCount struct {
	Word  string
	Count int
}

// WordCounts counts the words (whitespace-separated tokens, as the
// vocabulary) of cleaned reports, most frequent first, ties alphabetically.
func WordCounts(cleaned []string) []WordCount {
	m := map[string]int{}
	for _, r := range cleaned {
		for _, w := range data.PyFields(r) {
			m[w]++
		}
	}
	out := make([]WordCount, 0, len(m))
	for w, c := range m {
		out = append(out, WordCount{w, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Word < out[j].Word
	})
	return out
}

// CleanAll applies clean to every entry's report.
func CleanAll(entries []data.Entry, clean func(string) string) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = clean(e.Report)
	}
	return out
}

// DatasetFigures writes, into outDir as PNG and SVG, "label_stats" (label
// states per observation; skipped when no entry has labels) and
// "report_lengths" (histogram of cleaned report lengths in words), and
// returns the written paths. name titles the figures.
func DatasetFigures(name string, entries []data.Entry, clean func(string) string, outDir string) ([]string, error) {
	if len(entries) == 0 {
		return nil, errors.Errorf("notebook: %s: no entries", name)
	}
	var written []string
	counts, unlabeled := LabelCounts(entries)
	if unlabeled < len(entries) {
		paths, err := plots.Both(filepath.Join(outDir, "label_stats"), func(p string) error {
			return plots.Bars(p, fmt.Sprintf("%s: label states (%d studies)", name, len(entries)-unlabeled),
				"studies", LabelBars(counts))
		})
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	paths, err := plots.Both(filepath.Join(outDir, "report_lengths"), func(p string) error {
		return plots.Histogram(p, name+": report length", "words (cleaned)", ReportLengths(entries, clean), 30)
	})
	return append(written, paths...), err
}

// LabelSummary lists the non-blank labels of a study, e.g.
// "Cardiomegaly: positive; Edema: uncertain; Pneumothorax: negative"
// (positives first). It returns "no labels" for nil.
func LabelSummary(l *chexpert.Labels) string {
	if l == nil {
		return "no labels"
	}
	var parts []string
	for _, want := range []chexpert.State{chexpert.Positive, chexpert.Uncertain, chexpert.Negative} {
		for i, s := range l {
			if s == want {
				parts = append(parts, chexpert.Observations[i]+": "+s.String())
			}
		}
	}
	if len(parts) == 0 {
		return "all blank"
	}
	return strings.Join(parts, "; ")
}

// ShowStudy displays a study's images (from imageRoot), its report and its
// labels; outside a notebook it prints them. width is the displayed width
// of each image in pixels.
func ShowStudy(imageRoot string, e data.Entry, width int) error {
	var srcs []string
	for _, rel := range e.ImagePaths {
		img, err := LoadImage(filepath.Join(imageRoot, rel))
		if err != nil {
			return err
		}
		if !InNotebook() {
			fmt.Fprintf(Out, "image %s: %dx%d\n", rel, img.Bounds().Dx(), img.Bounds().Dy())
			continue
		}
		src, err := gonbui.EmbedImageAsPNGSrc(img)
		if err != nil {
			return errors.Wrap(err, "notebook: encoding image")
		}
		srcs = append(srcs, src)
	}
	labels := LabelSummary(e.Labels)
	if !InNotebook() {
		fmt.Fprintf(Out, "%s (%s)\nreport: %s\nlabels: %s\n", e.ID, e.Split, e.Report, labels)
		return nil
	}
	var b strings.Builder
	b.WriteString(`<div style="display:flex;gap:12px;align-items:flex-start;margin:6px 0">`)
	for _, s := range srcs {
		fmt.Fprintf(&b, `<img src="%s" width="%d"/>`, s, width)
	}
	fmt.Fprintf(&b, `<div style="max-width:480px"><b>%s</b> (%s)<p>%s</p><p><i>%s</i></p></div></div>`,
		html.EscapeString(e.ID), html.EscapeString(e.Split), html.EscapeString(e.Report), html.EscapeString(labels))
	gonbui.DisplayHtml(b.String())
	return nil
}

// SharedDataset returns <root>/../shared/data/<name> and true when its
// annotation.json exists (real datasets are not part of the repository).
func SharedDataset(name string) (string, bool) {
	shared, err := SharedDir()
	if err != nil {
		return "", false
	}
	dir := filepath.Join(shared, "data", name)
	if _, err := os.Stat(filepath.Join(dir, "annotation.json")); err != nil {
		return dir, false
	}
	return dir, true
}

// WithImages returns up to n entries whose image files all exist under
// imageRoot (n <= 0: all).
func WithImages(imageRoot string, entries []data.Entry, n int) []data.Entry {
	var out []data.Entry
	for _, e := range entries {
		if len(e.ImagePaths) == 0 {
			continue
		}
		ok := true
		for _, rel := range e.ImagePaths {
			if _, err := os.Stat(filepath.Join(imageRoot, rel)); err != nil {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, e)
			if n > 0 && len(out) == n {
				break
			}
		}
	}
	return out
}

// DataEnv overrides the directory generated datasets go to (default
// <root>/data); the notebook test points it at a temporary directory.
const DataEnv = "MRGKIT_DATA"

// DataDir returns <root>/data/<name> ($MRGKIT_DATA/<name> if set).
func DataDir(name string) (string, error) {
	base := os.Getenv(DataEnv)
	if base == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		base = filepath.Join(root, "data")
	}
	return filepath.Join(base, name), nil
}

// EnsureDataset calls generate(dir) unless dir already holds an
// annotation.json, and says which happened. Delete dir to regenerate.
func EnsureDataset(dir string, generate func(dir string) error) error {
	ann := filepath.Join(dir, "annotation.json")
	if _, err := os.Stat(ann); err == nil {
		fmt.Fprintf(Out, "using the existing dataset in %s (delete it to regenerate)\n", dir)
		return nil
	}
	if err := generate(dir); err != nil {
		return err
	}
	if _, err := os.Stat(ann); err != nil {
		return errors.Errorf("notebook: generating %s wrote no annotation.json", dir)
	}
	return nil
}

// SummaryHeader is the header of DatasetSummary rows.
var SummaryHeader = []string{"dataset", "train / val / test", "labelled", "mean words", "max words", "vocabulary (threshold 3)"}

// DatasetSummary is one row comparing datasets: split sizes, how many
// studies carry labels, report length and vocabulary size.
func DatasetSummary(name string, ann *data.Annotation, clean func(string) string) []string {
	all := ann.All()
	lens := ReportLengths(all, clean)
	mean, longest := 0.0, 0.0
	for _, l := range lens {
		mean += l
		longest = max(longest, l)
	}
	if len(lens) > 0 {
		mean /= float64(len(lens))
	}
	_, unlabeled := LabelCounts(all)
	vocab := data.BuildVocab(CleanAll(ann.Train, clean), 3)
	return []string{name, fmt.Sprintf("%d / %d / %d", len(ann.Train), len(ann.Val), len(ann.Test)),
		fmt.Sprint(len(all) - unlabeled), fmt.Sprintf("%.1f", mean), fmt.Sprint(longest), fmt.Sprint(vocab.Size())}
}

// ExampleStudies picks, in order, up to withFindings entries that have a
// positive finding (an observation other than No Finding) and up to normal
// entries that have none (or no labels), findings first.
func ExampleStudies(entries []data.Entry, withFindings, normal int) []data.Entry {
	var found, plain []data.Entry
	for _, e := range entries {
		if hasFinding(e.Labels) {
			if len(found) < withFindings {
				found = append(found, e)
			}
		} else if len(plain) < normal {
			plain = append(plain, e)
		}
		if len(found) == withFindings && len(plain) == normal {
			break
		}
	}
	return append(found, plain...)
}

func hasFinding(l *chexpert.Labels) bool {
	if l == nil {
		return false
	}
	for i, s := range l {
		if i != chexpert.NoFinding && s == chexpert.Positive {
			return true
		}
	}
	return false
}
