package notebook

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestLossHTML(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	os.WriteFile(log, []byte(`{"kind":"config"}`+"\n"), 0o644)
	if _, err := LossHTML(log, filepath.Join(dir, "l.png")); err == nil {
		t.Error("log without steps: no error")
	}
	os.WriteFile(log, []byte(`{"kind":"step","step":1,"loss":2,"lm_loss":1.5}
{"kind":"step","step":2,"loss":1.5,"lm_loss":1.2}
`), 0o644)
	html, err := LossHTML(log, filepath.Join(dir, "l.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(html, `<img src="data:image/png;base64,iVBOR`) {
		t.Errorf("html = %.60q…", html)
	}
	// Outside a notebook LiveLoss is a no-op whose stop can be called twice.
	stop := LiveLoss(log, time.Millisecond)
	stop()
	stop()
}

func TestSharedDir(t *testing.T) {
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "wt", "nb")
	os.MkdirAll(repo, 0o755)
	t.Setenv(RootEnv, repo)
	t.Setenv(SharedEnv, "")
	// Nothing anywhere: <root>/../shared.
	if got, _ := SharedDir(); got != filepath.Join(tmp, "wt", "shared") {
		t.Errorf("no shared dir: %q", got)
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
