package notebook

import (
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// Live is a training run's live view in a notebook: a progress bar (step,
// loss, s/step, ETA) and the loss and validation curves, each one output
// updated in place while the run trains. Its Observe method is the run's
// run.Observer; the run's points are also kept by train in GoMLX's
// plot-point format (run.PointsFile), which GoMLX's plotly helpers
// redraw later. (GoMLX's own ui/commandline.AttachProgressBar and
// ui/gonb/plotly's dynamic plots attach to a GoMLX train.Loop, which the
// kit's loop is not; and plotly loads its JavaScript from a CDN, which the
// kit may not reach. So the bar is drawn here, the curves as PNG.)
//
//	live := notebook.NewLive("teacher", rdir)
//	t.Observe = live.Observe // t: a demo.Training (or train.Options)
//	sum, err := demo.TrainTeacher(t)
//	live.Done(err)
type Live struct {
	title  string
	run    string
	barID  string
	plotID string
	tmp    string

	mu         sync.Mutex
	state      Progress
	recs       []plots.LogRecord // step and epoch records seen (seeded from the run's log)
	lastBar    time.Time
	lastPlot   time.Time
	plotEvery  time.Duration
	barEvery   time.Duration
	inNotebook bool
}

// Progress is what the progress bar shows.
type Progress struct {
	Step, TotalSteps int
	Epoch, Epochs    int
	Loss             float64
	SecPerStep       float64 // median of the last steps
	Started          bool    // a start event was seen
	Done             bool
	Err              string
	recent           []float64
}

// NewLive starts the live view of the run in runDir: its outputs are
// reserved in the current cell (outside a notebook nothing is shown), and
// the curves start from what the run's log already holds (a resumed run).
func NewLive(title, runDir string) *Live {
	l := &Live{title: title, run: runDir, plotEvery: 5 * time.Second, barEvery: time.Second, inNotebook: InNotebook()}
	if recs, err := plots.ReadLog(filepath.Join(runDir, run.LogFile)); err == nil {
		l.recs = recs
	}
	if !l.inNotebook {
		return l
	}
	l.barID, l.plotID = "mrgkit_bar_"+gonbui.UniqueID(), "mrgkit_curves_"+gonbui.UniqueID()
	l.tmp, _ = os.MkdirTemp("", "mrgkit_live")
	gonbui.UpdateHTML(l.barID, ProgressHTML(title, l.state))
	gonbui.UpdateHTML(l.plotID, "<i>curves appear after the first steps</i>")
	return l
}

// Observe is the run's run.Observer.
func (l *Live) Observe(e run.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.state
	s.TotalSteps, s.Epochs = e.TotalSteps, e.Epochs
	s.Step, s.Epoch = e.Step, e.Epoch
	switch e.Kind {
	case "start":
		s.Started = true
	case "step":
		s.Loss = e.Values["loss"]
		if v, ok := e.Values["sec_per_step"]; ok {
			s.recent = append(s.recent, v)
			if len(s.recent) > 50 {
				s.recent = s.recent[1:]
			}
			s.SecPerStep = medianOf(s.recent)
		}
		l.recs = append(l.recs, plots.LogRecord{Kind: "step", Step: e.Step, Epoch: e.Epoch, Values: e.Values})
	case "epoch":
		l.recs = append(l.recs, plots.LogRecord{Kind: "epoch", Step: e.Step, Epoch: e.Epoch, Split: "val", Values: e.Values})
	}
	if !l.inNotebook {
		return
	}
	now := time.Now()
	if now.Sub(l.lastBar) >= l.barEvery || e.Kind != "step" {
		l.lastBar = now
		gonbui.UpdateHTML(l.barID, ProgressHTML(l.title, *s))
	}
	if now.Sub(l.lastPlot) >= l.plotEvery || e.Kind == "epoch" {
		l.lastPlot = now
		l.drawCurves()
	}
}

// Done draws the final state (err: the run's error, shown in the bar).
func (l *Live) Done(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Done = true
	if err != nil {
		l.state.Err = err.Error()
	}
	if !l.inNotebook {
		return
	}
	gonbui.UpdateHTML(l.barID, ProgressHTML(l.title, l.state))
	l.drawCurves()
	_ = os.RemoveAll(l.tmp)
}

// State returns a copy of the current progress.
func (l *Live) State() Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

func (l *Live) drawCurves() {
	h, err := CurvesHTML(l.recs, l.tmp)
	if err != nil {
		return // no step yet: keep the placeholder
	}
	gonbui.UpdateHTML(l.plotID, h)
}

// ProgressHTML renders the progress bar: a filled bar and "epoch e/E ·
// step s/S · loss x · t s/step · ETA d" (ETA: remaining steps × s/step).
func ProgressHTML(title string, p Progress) string {
	frac := 0.0
	if p.TotalSteps > 0 {
		frac = min(1, float64(p.Step)/float64(p.TotalSteps))
	}
	color := "#4c8bf5"
	status := ""
	switch {
	case p.Err != "":
		color, status = "#d9534f", " · stopped: "+p.Err
	case p.Done:
		color, status = "#5cb85c", " · done"
	case !p.Started:
		status = " · starting (loading data, compiling)"
	}
	return fmt.Sprintf(`<div style="font-family:monospace;margin:4px 0"><div style="width:100%%;max-width:720px;background:#eee;border-radius:3px"><div style="width:%.1f%%;background:%s;height:14px;border-radius:3px"></div></div>%s</div>`,
		100*frac, color, html.EscapeString(title+": "+ProgressText(p)+status))
}

// ProgressText is the bar's text: "epoch 2/8 · step 150/1032 (14%) · loss
// 3.2110 · 0.520 s/step · ETA 7m39s".
func ProgressText(p Progress) string {
	pct := 0.0
	if p.TotalSteps > 0 {
		pct = 100 * float64(p.Step) / float64(p.TotalSteps)
	}
	s := fmt.Sprintf("epoch %d/%d · step %d/%d (%.0f%%)", min(max(p.Epoch, 1), max(p.Epochs, 1)), p.Epochs, p.Step, p.TotalSteps, pct)
	if p.SecPerStep > 0 {
		s += fmt.Sprintf(" · loss %.4f · %.3f s/step · ETA %s", p.Loss, p.SecPerStep, ETA(p.SecPerStep, p.TotalSteps-p.Step))
	}
	return s
}

// ETA is the time left for steps more steps at secPerStep, rounded to the second.
func ETA(secPerStep float64, steps int) string {
	return (time.Duration(secPerStep*float64(max(steps, 0))*float64(time.Second)) / time.Second * time.Second).String()
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	c := append([]float64(nil), xs...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// valKeys are the validation metrics drawn by CurvesHTML.
var valKeys = []string{"BLEU_4", "ROUGE_L", "CIDEr", "ce_micro_f1"}

// CurvesHTML draws the loss parts per step and the validation metrics per
// epoch of recs as PNGs in dir, side by side in one HTML fragment; an error
// if there is no step yet.
func CurvesHTML(recs []plots.LogRecord, dir string) (string, error) {
	series := plots.LossSeries(recs)
	if len(series) == 0 {
		return "", fmt.Errorf("notebook: no training steps yet")
	}
	last := series[0]
	var imgs []string
	lossPNG := filepath.Join(dir, "loss.png")
	title := fmt.Sprintf("Training loss — step %.0f: %.4f", last.X[len(last.X)-1], last.Y[len(last.Y)-1])
	if err := plots.Lines(lossPNG, title, "step", "loss", series...); err != nil {
		return "", err
	}
	imgs = append(imgs, lossPNG)
	var val []plots.Series
	for _, k := range valKeys {
		s := plots.Series{Name: k}
		for _, r := range recs {
			if v, ok := r.Values[k]; ok && r.Kind == "epoch" {
				s.X, s.Y = append(s.X, float64(r.Epoch)), append(s.Y, v)
			}
		}
		if len(s.X) > 0 {
			val = append(val, s)
		}
	}
	if len(val) > 0 {
		valPNG := filepath.Join(dir, "val.png")
		if err := plots.Lines(valPNG, fmt.Sprintf("Validation — epoch %.0f", val[0].X[len(val[0].X)-1]), "epoch", "score", val...); err != nil {
			return "", err
		}
		imgs = append(imgs, valPNG)
	}
	out := `<div style="display:flex;flex-wrap:wrap;gap:8px">`
	for _, p := range imgs {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		out += `<img style="max-width:49%" src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"/>`
	}
	return out + "</div>", nil
}
