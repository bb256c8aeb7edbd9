// Package notebook holds what mrgkit's GoNB notebooks call beyond the
// library: smoke mode, where data, runs and figures go (RepoRoot, DataDir,
// RunDir, FiguresDir, SharedDir, Settings), inline display (plain text
// outside a notebook: Show*, Markdown, Table, the Live training view) and
// the stamping of committed notebooks. What the notebooks compute lives in
// the packages that own it — dataset statistics in data, figures and
// metric tables in plots, faithfulness tables in eval, the paper table in
// ablate, the teacher and student runs in demo — and the names a notebook
// cell calls here delegate to them in one line.
package notebook

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/internal/markdown"
)

// SmokeEnv is the environment variable that turns on smoke mode: notebooks
// use tiny sizes so that each finishes in a minute or two (CI, tests).
const SmokeEnv = "MRGKIT_SMOKE"

// RootEnv overrides the repository root found by RepoRoot.
const RootEnv = "MRGKIT_ROOT"

// FiguresEnv overrides the figures directory (default <root>/figures); the
// notebook test points it at a temporary directory.
const FiguresEnv = "MRGKIT_FIGURES"

// ModulePath is mrgkit's Go module path.
const ModulePath = "github.com/mrgkit/mrgkit"

// Out is where the helpers print text; tests may replace it.
var Out io.Writer = os.Stdout

// Smoke reports whether smoke mode is on (MRGKIT_SMOKE set to 1/true/yes).
func Smoke() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(SmokeEnv))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Pick returns smoke when smoke mode is on and full otherwise.
func Pick[T any](full, smoke T) T {
	if Smoke() {
		return smoke
	}
	return full
}

// InNotebook reports whether the program runs as a GoNB cell.
func InNotebook() bool { return gonbui.IsNotebook }

// RepoRoot returns the mrgkit checkout: $MRGKIT_ROOT if set, else the first
// directory, walking up from the notebook's directory ($GONB_DIR, set by
// GoNB) or the working directory, whose go.mod declares module ModulePath.
func RepoRoot() (string, error) {
	if r := os.Getenv(RootEnv); r != "" {
		return filepath.Abs(r)
	}
	start := os.Getenv("GONB_DIR")
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", errors.Wrap(err, "notebook: locating the repository")
		}
		start = wd
	}
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", errors.Wrap(err, "notebook: locating the repository")
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(data, []byte("module "+ModulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.Errorf("notebook: no mrgkit checkout (go.mod of %s) above %s; set %s", ModulePath, start, RootEnv)
		}
		dir = parent
	}
}

// MustRepoRoot is RepoRoot for notebook cells: it fails the cell on error
// (Fail).
func MustRepoRoot() string {
	r, err := RepoRoot()
	Must(err)
	return r
}

// SharedEnv overrides the shared data directory (default <root>/../shared).
const SharedEnv = "MRGKIT_SHARED"

// SharedDir returns the shared data directory: $MRGKIT_SHARED if set, else
// <root>/../shared, else the nearest shared/ further up (for git worktrees
// nested deeper), else <root>/../shared even if missing. Real datasets such
// as iu_xray live in its data/ folder.
func SharedDir() (string, error) {
	if s := os.Getenv(SharedEnv); s != "" {
		return filepath.Abs(s)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	first := filepath.Join(filepath.Dir(root), "shared")
	for d := filepath.Dir(root); ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "shared")); err == nil && st.IsDir() {
			return filepath.Join(d, "shared"), nil
		}
		if filepath.Dir(d) == d {
			return first, nil
		}
	}
}

// FiguresDir returns <root>/figures/<name> ($MRGKIT_FIGURES/<name> if
// set), creating it.
func FiguresDir(name string) (string, error) {
	base := os.Getenv(FiguresEnv)
	if base == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		base = filepath.Join(root, "figures")
	}
	dir := filepath.Join(base, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errors.Wrap(err, "notebook: creating figures directory")
	}
	return dir, nil
}

// Show displays each figure file inline (PNG as an image, SVG as markup);
// outside a notebook it prints the paths. Other extensions are an error.
func Show(paths ...string) error {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return errors.Wrap(err, "notebook: showing figure")
		}
		if !InNotebook() {
			fmt.Fprintf(Out, "figure: %s\n", p)
			continue
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png":
			gonbui.DisplayPng(data)
		case ".svg":
			gonbui.DisplaySvg(string(data))
		default:
			return errors.Errorf("notebook: %s: cannot display %q files", p, filepath.Ext(p))
		}
	}
	return nil
}

// ShowPNGs displays the PNG files among paths (the SVG twins are skipped).
func ShowPNGs(paths []string) error {
	var pngs []string
	for _, p := range paths {
		if strings.EqualFold(filepath.Ext(p), ".png") {
			pngs = append(pngs, p)
		}
	}
	return Show(pngs...)
}

// ShowImage displays an image inline, scaled to width pixels in the page
// (0: natural size), with an optional caption. Outside a notebook it prints
// the caption and size.
func ShowImage(img image.Image, width int, caption string) error {
	if !InNotebook() {
		fmt.Fprintf(Out, "image %dx%d: %s\n", img.Bounds().Dx(), img.Bounds().Dy(), caption)
		return nil
	}
	src, err := gonbui.EmbedImageAsPNGSrc(img)
	if err != nil {
		return errors.Wrap(err, "notebook: encoding image")
	}
	style := ""
	if width > 0 {
		style = fmt.Sprintf(` width="%d"`, width)
	}
	gonbui.DisplayHtml(fmt.Sprintf(`<figure style="display:inline-block;margin:4px"><img src="%s"%s style="image-rendering:pixelated"/><figcaption style="max-width:%dpx;font-size:small">%s</figcaption></figure>`,
		src, style, max(width, 200), html.EscapeString(caption)))
	return nil
}

// PNG encodes img as PNG bytes.
func PNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := png.Encode(&buf, img)
	return buf.Bytes(), err
}

// Markdown displays markdown inline, or prints it outside a notebook.
func Markdown(md string) {
	if InNotebook() {
		gonbui.DisplayMarkdown(md)
		return
	}
	fmt.Fprintln(Out, md)
}

// Table renders a markdown table (header row, then rows) and displays it
// with Markdown. Rows shorter than the header are padded.
func Table(header []string, rows [][]string) {
	Markdown(markdown.Table(header, rows))
}

// Sync waits for display data in transit to reach the notebook; call it
// (deferred) at the end of a cell that displays things.
func Sync() { gonbui.Sync() }

// Must stops the cell with Fail if err is not nil: notebook cells use it to
// stop on errors with a one-line message (the cell then fails, which fails
// the notebook test).
func Must(err error) {
	if err != nil {
		Fail(err)
	}
}

// Must1 returns v, or stops the cell with Fail if err is not nil.
func Must1[T any](v T, err error) T {
	Must(err)
	return v
}

// Lines returns a writer that passes complete lines to w, each as it ends
// up after carriage returns ("\r" progress updates): a notebook shows the
// epoch's last progress line instead of re-rendering its output at every
// step (which a browser page does not keep up with over a long run).
func Lines(w io.Writer) io.Writer { return &linesWriter{w: w} }

type linesWriter struct {
	w   io.Writer
	buf []byte
}

func (l *linesWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := l.buf[:i]
		if j := bytes.LastIndexByte(bytes.TrimRight(line, "\r"), '\r'); j >= 0 {
			line = line[j+1:]
		}
		if _, err := l.w.Write(append(append([]byte(nil), line...), '\n')); err != nil {
			return len(p), err
		}
		l.buf = l.buf[i+1:]
	}
}
