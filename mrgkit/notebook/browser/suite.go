package browser

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/notebook"
)

// Shot is a screenshot to take after a notebook ran: the page scrolled to
// the first cell whose source contains Contains ("" : the top), saved as
// the PNG Path.
type Shot struct {
	Path     string
	Contains string
}

// SuiteOptions configure RunNotebooks.
type SuiteOptions struct {
	Dir       string   // the notebooks directory (read; written only with Write)
	Notebooks []string // file names in Dir, run in this order; nil: every *.ipynb, by name
	// Env is the environment of the Jupyter server and so of the GoNB
	// kernels (MRGKIT_ROOT must point at the checkout: the notebooks run
	// from a temporary copy of Dir).
	Env []string
	// Write stamps each cleanly executed notebook (notebook.Stamp, with
	// Info) and writes it over its file in Dir, atomically.
	Write bool
	Info  map[string]any
	Shots map[string]Shot // notebook file name → screenshot
	Log   io.Writer       // the Jupyter server's and chromedriver's logs (nil: discarded)
	Out   io.Writer       // one line per notebook (nil: discarded)
	Run   Options
}

// NotebookResult is one notebook's run: Result (nil if it could not run),
// Err (a kernel that did not start, a page that failed; cell errors are in
// Result.Errors()), and Saved, the notebook as the UI saved it.
type NotebookResult struct {
	Name   string
	Result *Result
	Err    error
	Saved  []byte
}

// Failed reports whether the notebook did not run cleanly.
func (r NotebookResult) Failed() bool {
	return r.Err != nil || r.Result == nil || len(r.Result.Errors()) > 0
}

// RunNotebooks serves a temporary copy of opts.Dir with Jupyter, opens each
// notebook in headless Chromium, runs all its cells and saves it. The
// error is for what stops the whole suite (tools missing, a server that
// does not start); each notebook's outcome is in its NotebookResult.
func RunNotebooks(ctx context.Context, opts SuiteOptions) ([]NotebookResult, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	names := opts.Notebooks
	if names == nil {
		matches, err := filepath.Glob(filepath.Join(opts.Dir, "*.ipynb"))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			names = append(names, filepath.Base(m))
		}
		sort.Strings(names)
	}
	if len(names) == 0 {
		return nil, errors.Errorf("no notebooks in %s", opts.Dir)
	}
	tools, err := FindTools()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "mrgkit-nb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	served := filepath.Join(tmp, "notebooks")
	if err := os.Mkdir(served, 0o755); err != nil {
		return nil, err
	}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(opts.Dir, n))
		if err != nil {
			return nil, errors.Wrap(err, "reading the notebook")
		}
		if err := os.WriteFile(filepath.Join(served, n), data, 0o644); err != nil {
			return nil, err
		}
	}
	srv, err := StartServer(ctx, served, opts.Env, opts.Log)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	var results []NotebookResult
	for _, n := range names {
		r := NotebookResult{Name: n}
		// A browser session per notebook: a page that hangs does not take
		// the next notebooks with it.
		b, err := Open(ctx, tools, tmp, opts.Log)
		if err != nil {
			return results, err
		}
		r.Result, r.Err = Run(ctx, b, srv, n, opts.Run)
		if r.Err == nil {
			r.Saved, r.Err = os.ReadFile(filepath.Join(served, n))
		}
		if shot, ok := opts.Shots[n]; ok && r.Err == nil {
			r.Err = screenshot(ctx, b, shot)
		}
		b.Close()
		_ = srv.ShutdownKernels(ctx)
		if r.Err == nil && !r.Failed() && opts.Write {
			r.Err = writeStamped(filepath.Join(opts.Dir, n), r.Saved, opts.Info)
		}
		switch {
		case r.Err != nil:
			fmt.Fprintf(opts.Out, "%s: %v\n", n, r.Err)
		default:
			fmt.Fprintf(opts.Out, "%s: %s\n", n, r.Result.Summary())
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	return results, nil
}

func screenshot(ctx context.Context, b *Browser, shot Shot) error {
	if shot.Contains != "" {
		var idx int
		if err := b.Exec(ctx, `var cs = Jupyter.notebook.get_cells();
for (var i = 0; i < cs.length; i++) { if (cs[i].get_text().indexOf(arguments[0]) >= 0) { Jupyter.notebook.scroll_to_cell(i, 0); return i; } }
return -1;`, &idx, shot.Contains); err != nil {
			return err
		}
		if idx < 0 {
			return errors.Errorf("screenshot %s: no cell contains %q", shot.Path, shot.Contains)
		}
	}
	png, err := b.Screenshot(ctx)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(shot.Path, png)
}

func writeStamped(path string, saved []byte, info map[string]any) error {
	data, err := notebook.Stamp(filepath.Base(path), saved, info)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// ToolEnv returns env (os.Environ() if nil) with GOPATH/bin on PATH (where
// `go install` puts gonb and goimports), the pinned Go toolchain, no
// run-time downloads, MRGKIT_ROOT=root, and the extra KEY=VALUE pairs.
func ToolEnv(env []string, gopath, root string, extra ...string) []string {
	if env == nil {
		env = os.Environ()
	}
	var out []string
	path := ""
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = p
			continue
		}
		out = append(out, kv)
	}
	for _, p := range filepath.SplitList(gopath) {
		if p != "" {
			path += string(os.PathListSeparator) + filepath.Join(p, "bin")
		}
	}
	out = append(out, "PATH="+path, "GOTOOLCHAIN=go1.27.3", "GOMLX_NO_AUTO_INSTALL=1", notebook.RootEnv+"="+root)
	return append(out, extra...)
}
