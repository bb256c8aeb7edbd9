package notebook

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/plots"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

func TestSmoke(t *testing.T) {
	for _, c := range []struct {
		val  string
		want bool
	}{{"1", true}, {"true", true}, {" YES ", true}, {"", false}, {"0", false}, {"no", false}} {
		t.Setenv(SmokeEnv, c.val)
		if got := Smoke(); got != c.want {
			t.Errorf("%s=%q: Smoke() = %v, want %v", SmokeEnv, c.val, got, c.want)
		}
		if got := Pick(100, 2); (got == 2) != c.want {
			t.Errorf("%s=%q: Pick(100, 2) = %d", SmokeEnv, c.val, got)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	tmp := t.TempDir()
	nested := filepath.Join(tmp, "repo", "notebooks", "sub")
	os.MkdirAll(nested, 0o755)
	os.WriteFile(filepath.Join(tmp, "repo", "go.mod"), []byte("module "+ModulePath+"\n\ngo 1.27\n"), 0o644)
	// A go.mod of another module in between is skipped.
	os.WriteFile(filepath.Join(tmp, "repo", "notebooks", "go.mod"), []byte("module other\n"), 0o644)
	t.Setenv(RootEnv, "")
	t.Setenv("GONB_DIR", nested)
	got, err := RepoRoot()
	if err != nil || got != filepath.Join(tmp, "repo") {
		t.Fatalf("RepoRoot() = %q, %v; want %q", got, err, filepath.Join(tmp, "repo"))
	}
	t.Setenv("GONB_DIR", tmp)
	if _, err := RepoRoot(); err == nil || !strings.Contains(err.Error(), RootEnv) {
		t.Errorf("outside a checkout: err = %v, want a hint about %s", err, RootEnv)
	}
	t.Setenv(RootEnv, filepath.Join(tmp, "elsewhere"))
	if got, _ := RepoRoot(); got != filepath.Join(tmp, "elsewhere") {
		t.Errorf("with %s: RepoRoot() = %q", RootEnv, got)
	}
}

func TestFiguresDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv(FiguresEnv, tmp)
	dir, err := FiguresDir("01_data")
	if err != nil || dir != filepath.Join(tmp, "01_data") {
		t.Fatalf("FiguresDir = %q, %v", dir, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("%s not created", dir)
	}
}

func TestShowOutsideNotebook(t *testing.T) {
	var buf bytes.Buffer
	Out = &buf
	defer func() { Out = os.Stdout }()
	p := filepath.Join(t.TempDir(), "a.png")
	os.WriteFile(p, []byte("x"), 0o644)
	if err := Show(p); err != nil {
		t.Fatal(err)
	}
	if err := Show(filepath.Join(t.TempDir(), "missing.png")); err == nil {
		t.Error("missing file: no error")
	}
	if err := ShowImage(image.NewGray(image.Rect(0, 0, 3, 2)), 0, "x-ray"); err != nil {
		t.Fatal(err)
	}
	Table([]string{"a", "b"}, [][]string{{"1", "x|y"}, {"2"}})
	want := "figure: " + p + "\nimage 3x2: x-ray\n| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 |  |\n\n"
	if buf.String() != want {
		t.Errorf("output\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestCurvesHTML(t *testing.T) {
	dir := t.TempDir()
	if _, err := CurvesHTML([]plots.LogRecord{{Kind: "config"}}, dir); err == nil {
		t.Error("records without steps: no error")
	}
	recs := []plots.LogRecord{
		{Kind: "step", Step: 1, Epoch: 1, Values: map[string]float64{"loss": 2, "lm_loss": 1.5}},
		{Kind: "step", Step: 2, Epoch: 1, Values: map[string]float64{"loss": 1.5, "lm_loss": 1.2}},
	}
	for _, tc := range []struct {
		name   string
		recs   []plots.LogRecord
		images int
	}{
		{"steps only: the loss figure", recs, 1},
		{"with a validation epoch: loss and validation", append(recs, plots.LogRecord{Kind: "epoch", Step: 2, Epoch: 1, Values: map[string]float64{"BLEU_4": 0.1}}), 2},
	} {
		h, err := CurvesHTML(tc.recs, dir)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(h, `src="data:image/png;base64,iVBOR`); n != tc.images {
			t.Errorf("%s: %d PNG images, want %d", tc.name, n, tc.images)
		}
	}
	// Outside a notebook Live only records the progress.
	l := NewLive("t", dir)
	l.Observe(run.Event{Kind: "start", TotalSteps: 10, Epochs: 2, Epoch: 1})
	l.Observe(run.Event{Kind: "step", Step: 1, TotalSteps: 10, Epochs: 2, Epoch: 1, Values: map[string]float64{"loss": 3, "sec_per_step": 0.5}})
	l.Done(nil)
	if st := l.State(); st.Step != 1 || st.Loss != 3 || st.SecPerStep != 0.5 || !st.Done {
		t.Errorf("state %+v", st)
	}
}

func TestProgressText(t *testing.T) {
	for _, tc := range []struct {
		p    Progress
		want string
	}{
		{Progress{TotalSteps: 1032, Epochs: 8}, "epoch 1/8 · step 0/1032 (0%)"},
		{Progress{Step: 150, TotalSteps: 1032, Epoch: 2, Epochs: 8, Loss: 3.211, SecPerStep: 0.52},
			"epoch 2/8 · step 150/1032 (15%) · loss 3.2110 · 0.520 s/step · ETA 7m38s"}, // 882 × 0.52 = 458.64 s
		{Progress{Step: 10, TotalSteps: 10, Epoch: 3, Epochs: 2, Loss: 1, SecPerStep: 2}, "epoch 2/2 · step 10/10 (100%) · loss 1.0000 · 2.000 s/step · ETA 0s"},
	} {
		if got := ProgressText(tc.p); got != tc.want {
			t.Errorf("ProgressText(%+v) =\n%q, want\n%q", tc.p, got, tc.want)
		}
	}
	for _, tc := range []struct {
		p    Progress
		want string
	}{
		{Progress{Done: true}, "done"},
		{Progress{Started: true, Err: "loss is NaN"}, "stopped: loss is NaN"},
		{Progress{}, "starting"},
	} {
		if got := ProgressHTML("teacher", tc.p); !strings.Contains(got, tc.want) {
			t.Errorf("ProgressHTML(%+v) = %q, want it to say %q", tc.p, got, tc.want)
		}
	}
}

func TestSharedDir(t *testing.T) {
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "wt", "nb")
	os.MkdirAll(repo, 0o755)
	t.Setenv(RootEnv, repo)
	t.Setenv(SharedEnv, "")
	// Nothing anywhere: <root>/../shared (unless the machine has a shared/
	// above the temporary directory, e.g. /tmp/shared).
	above := ""
	for d := tmp; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(filepath.Dir(d), "shared")); err == nil && st.IsDir() {
			above = filepath.Join(filepath.Dir(d), "shared")
			break
		}
	}
	if got, _ := SharedDir(); above == "" && got != filepath.Join(tmp, "wt", "shared") {
		t.Errorf("no shared dir: %q", got)
	} else if above != "" {
		t.Logf("%s exists: the case without any shared/ is not checked", above)
	}
	// A worktree nested deeper finds the shared/ further up.
	os.MkdirAll(filepath.Join(tmp, "shared"), 0o755)
	if got, _ := SharedDir(); got != filepath.Join(tmp, "shared") {
		t.Errorf("worktree: %q, want %q", got, filepath.Join(tmp, "shared"))
	}
	// The sibling wins.
	os.MkdirAll(filepath.Join(tmp, "wt", "shared"), 0o755)
	if got, _ := SharedDir(); got != filepath.Join(tmp, "wt", "shared") {
		t.Errorf("sibling: %q", got)
	}
	t.Setenv(SharedEnv, filepath.Join(tmp, "x"))
	if got, _ := SharedDir(); got != filepath.Join(tmp, "x") {
		t.Errorf("env: %q", got)
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"plain lines", []string{"a\nb\n"}, "a\nb\n"},
		{"progress updates keep the last", []string{"\r  step 1/3", "\r  step 2/3", "\r  step 3/3   ", "\n", "  epoch 1 val: x\n"}, "  step 3/3   \n  epoch 1 val: x\n"},
		{"a line split over writes", []string{"abc", "def\n", "unfinished"}, "abcdef\n"},
		{"CRLF line ending", []string{"x\r\n"}, "x\r\n"},
	} {
		var buf bytes.Buffer
		w := Lines(&buf)
		for _, s := range tc.writes {
			if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("%s: Write = %d, %v", tc.name, n, err)
			}
		}
		if buf.String() != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, buf.String(), tc.want)
		}
	}
}
