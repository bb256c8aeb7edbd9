package notebook

import (
	"fmt"
	"html"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/pkg/errors"
)

// LoadImage decodes a PNG or JPEG X-ray to grayscale (errors name the file).
func LoadImage(path string) (*image.Gray, error) {
	p, err := data.DecodeImage(path)
	if err != nil {
		return nil, err
	}
	return p.Gray(), nil
}

// The notebooks' dataset statistics are package data's (stats.go), their
// figures package plots'; these are the names the notebook cells call.

// ExampleStudies is data.ExampleStudies.
func ExampleStudies(entries []data.Entry, withFindings, normal int) []data.Entry {
	return data.ExampleStudies(entries, withFindings, normal)
}

// WordCounts is data.WordCounts.
func WordCounts(cleaned []string) []data.WordCount { return data.WordCounts(cleaned) }

// CleanAll is data.CleanAll.
func CleanAll(entries []data.Entry, clean func(string) string) []string {
	return data.CleanAll(entries, clean)
}

// WithImages is data.WithImages.
func WithImages(imageRoot string, entries []data.Entry, n int) []data.Entry {
	return data.WithImages(imageRoot, entries, n)
}

// SummaryHeader is data.SummaryHeader, the header of DatasetSummary rows.
var SummaryHeader = data.SummaryHeader

// DatasetSummary is data.DatasetSummary.
func DatasetSummary(name string, ann *data.Annotation, clean func(string) string) []string {
	return data.DatasetSummary(name, ann, clean)
}

// DatasetFigures is plots.DatasetFigures.
func DatasetFigures(name string, entries []data.Entry, clean func(string) string, outDir string) ([]string, error) {
	return plots.DatasetFigures(name, entries, clean, outDir)
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
