package notebook

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mrgkit/mrgkit/mrgkit/plots"
)

// LiveLoss shows the loss curves of the training log at logPath in one
// inline output that is redrawn every interval while training runs (the
// log is read as it grows). The returned stop function draws a last time
// and stops. Outside a notebook it does nothing.
//
//	stop := notebook.LiveLoss(filepath.Join(run, "log.jsonl"), 5*time.Second)
//	sum, err := train.Train(opts)
//	stop()
func LiveLoss(logPath string, interval time.Duration) (stop func()) {
	if !InNotebook() {
		return func() {}
	}
	id := "mrgkit_live_loss_" + gonbui.UniqueID()
	tmp, err := os.MkdirTemp("", "mrgkit_live")
	if err != nil {
		return func() {}
	}
	draw := func() {
		html, err := LossHTML(logPath, filepath.Join(tmp, "loss.png"))
		if err != nil {
			html = fmt.Sprintf("<i>waiting for training steps (%s)</i>", filepath.Base(logPath))
		}
		gonbui.UpdateHTML(id, html)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		draw()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				draw()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			draw()
			_ = os.RemoveAll(tmp)
		})
	}
}

// LossHTML draws the loss curves of a training log into pngPath and returns
// an <img> tag embedding it; an error if the log has no step yet.
func LossHTML(logPath, pngPath string) (string, error) {
	recs, err := plots.ReadLog(logPath)
	if err != nil {
		return "", err
	}
	series := plots.LossSeries(recs)
	if len(series) == 0 {
		return "", fmt.Errorf("notebook: %s has no training steps yet", logPath)
	}
	last := series[0]
	title := fmt.Sprintf("Training loss — step %.0f: %.4f", last.X[len(last.X)-1], last.Y[len(last.Y)-1])
	if err := plots.Lines(pngPath, title, "step", "loss", series...); err != nil {
		return "", err
	}
	b, err := os.ReadFile(pngPath)
	if err != nil {
		return "", err
	}
	return `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"/>`, nil
}
