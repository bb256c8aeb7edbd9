package browser

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Options bound one notebook's execution.
type Options struct {
	KernelTimeout time.Duration // for the kernel to start and connect (default 2 min)
	Timeout       time.Duration // for all cells (default 15 min)
	Poll          time.Duration // between status checks (default 1 s)
	// Progress, if set, is called at every poll with the cells done so far.
	Progress func(done, total int)
}

// Cell is what the page shows of one code cell after the run.
type Cell struct {
	Index   int      `json:"index"`   // position among all cells
	Prompt  string   `json:"prompt"`  // execution count shown ("" if never run, "*" if still running)
	Outputs int      `json:"outputs"` // number of outputs
	Errors  []string `json:"errors"`  // error outputs (name: value, traceback)
}

// Result is the outcome of running one notebook in the page.
type Result struct {
	Cells        []Cell
	Images       int // rendered <img>/<svg> figures in the outputs
	BrokenImages int // <img> that did not decode
	Seconds      float64
}

// Errors describes every cell error, cell that did not run, and figure that
// did not render; empty when the run is clean.
func (r *Result) Errors() []string {
	var out []string
	for _, c := range r.Cells {
		for _, e := range c.Errors {
			out = append(out, fmt.Sprintf("cell %d: %s", c.Index, e))
		}
		if len(c.Errors) == 0 && (c.Prompt == "" || c.Prompt == "*" || c.Prompt == "null") {
			out = append(out, fmt.Sprintf("cell %d did not run (prompt %q)", c.Index, c.Prompt))
		}
	}
	if r.BrokenImages > 0 {
		out = append(out, fmt.Sprintf("%d figure(s) did not render in the page", r.BrokenImages))
	}
	return out
}

const jsLoaded = `var nb = window.Jupyter && Jupyter.notebook;
if (!nb || !nb._fully_loaded) return "loading";
if (!nb.kernel) return "no kernel";
if (!nb.kernel.is_connected()) return "connecting";
return "ready";`

const jsStart = `var nb = Jupyter.notebook;
nb.set_autosave_interval(0);
window.__mrgkit = {dead: ""};
nb.events.on('kernel_dead.Kernel kernel_killed.Kernel kernel_connection_failed.Kernel', function(ev) { window.__mrgkit.dead = ev.type; });
nb.clear_all_output();
nb.execute_all_cells();
return true;`

const jsStatus = `var nb = Jupyter.notebook;
var cells = [];
nb.get_cells().forEach(function(c, i) {
  if (c.cell_type !== 'code') return;
  var p = c.input_prompt_number;
  var errs = c.output_area.outputs.filter(function(o) { return o.output_type === 'error'; }).map(function(o) {
    return o.ename + ': ' + o.evalue + '\n' + (o.traceback || []).join('\n');
  });
  cells.push({index: i, prompt: (p === undefined || p === null) ? "" : String(p), outputs: c.output_area.outputs.length, errors: errs});
});
var imgs = document.querySelectorAll('.output_area img');
var broken = 0;
imgs.forEach(function(im) { if (im.complete && im.naturalWidth === 0) broken++; });
var svgs = document.querySelectorAll('.output_area svg').length;
var busy = !!document.querySelector('#kernel_indicator_icon.kernel_busy_icon');
return {cells: cells, images: imgs.length + svgs, broken: broken, busy: busy, dead: (window.__mrgkit || {}).dead || ""};`

const jsSave = `var done = arguments[arguments.length - 1];
Jupyter.notebook.save_notebook().then(function() { done(""); }, function(e) { done("save failed: " + e); });`

type status struct {
	Cells  []Cell `json:"cells"`
	Images int    `json:"images"`
	Broken int    `json:"broken"`
	Busy   bool   `json:"busy"`
	Dead   string `json:"dead"`
}

// Run opens the notebook at rel on srv in b, runs all cells (Cell → Run
// All, outputs cleared first; autosave off), waits until the kernel is idle
// with no cell running, and saves the notebook through the UI, so that the
// file under the served directory holds the outputs as the page shows them.
// A kernel that does not start or dies is an error; cell errors are in the
// Result (Result.Errors), as after an error Jupyter skips the cells queued
// behind it.
func Run(ctx context.Context, b *Browser, srv *Server, rel string, opts Options) (*Result, error) {
	if opts.KernelTimeout <= 0 {
		opts.KernelTimeout = 2 * time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	start := time.Now()
	if err := b.Navigate(ctx, srv.NotebookURL(rel)); err != nil {
		return nil, errors.Wrapf(err, "opening %s", rel)
	}
	state := ""
	for deadline := time.Now().Add(opts.KernelTimeout); ; {
		if err := b.Exec(ctx, jsLoaded, &state); err != nil {
			return nil, errors.Wrapf(err, "%s: reading the page", rel)
		}
		if state == "ready" {
			break
		}
		if time.Now().After(deadline) {
			hint := ""
			if state == "no kernel" || state == "connecting" {
				hint = ": is the GoNB kernel installed (`gonb --install`, or `bash .ci/setup`)?"
			}
			return nil, errors.Errorf("%s: the kernel did not start within %s (page state %q)%s", rel, opts.KernelTimeout, state, hint)
		}
		if err := sleep(ctx, 300*time.Millisecond); err != nil {
			return nil, err
		}
	}
	if err := b.Exec(ctx, jsStart, nil); err != nil {
		return nil, errors.Wrapf(err, "%s: starting Run All", rel)
	}
	var st status
	idle, misses := 0, 0
	for deadline := time.Now().Add(opts.Timeout); ; {
		if err := sleep(ctx, opts.Poll); err != nil {
			return nil, err
		}
		if err := b.Exec(ctx, jsStatus, &st); err != nil {
			// A page busy with a long output may miss a poll: give up
			// only after several in a row.
			if misses++; misses > 5 {
				return nil, errors.Wrapf(err, "%s: reading the page (%d tries)", rel, misses)
			}
			continue
		}
		misses = 0
		if st.Dead != "" {
			return nil, errors.Errorf("%s: the kernel died (%s)", rel, st.Dead)
		}
		running, done, failed := 0, 0, false
		for _, c := range st.Cells {
			switch {
			case c.Prompt == "*":
				running++
			case c.Prompt != "":
				done++
			}
			failed = failed || len(c.Errors) > 0
		}
		if opts.Progress != nil {
			opts.Progress(done, len(st.Cells))
		}
		if !st.Busy && (running == 0 || failed) {
			idle++
		} else {
			idle = 0
		}
		if idle >= 2 {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.Errorf("%s: cells still running after %s (%d of %d done)", rel, opts.Timeout, done, len(st.Cells))
		}
	}
	var saveErr string
	if err := b.ExecAsync(ctx, jsSave, &saveErr); err != nil {
		return nil, errors.Wrapf(err, "%s: saving", rel)
	}
	if saveErr != "" {
		return nil, errors.Errorf("%s: %s", rel, saveErr)
	}
	return &Result{Cells: st.Cells, Images: st.Images, BrokenImages: st.Broken, Seconds: time.Since(start).Seconds()}, nil
}

// ScrollToCell scrolls the open notebook so that cell i is at the top.
func ScrollToCell(ctx context.Context, b *Browser, i int) error {
	return b.Exec(ctx, `Jupyter.notebook.scroll_to_cell(arguments[0], 0); return true;`, nil, i)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Summary is a one-line account of a result.
func (r *Result) Summary() string {
	ran := 0
	for _, c := range r.Cells {
		if c.Prompt != "" && c.Prompt != "*" {
			ran++
		}
	}
	return fmt.Sprintf("%d/%d code cells ran, %d figures rendered, %.1fs", ran, len(r.Cells), r.Images, r.Seconds) +
		map[bool]string{true: "", false: "; " + strings.Join(r.Errors(), "; ")}[len(r.Errors()) == 0]
}
