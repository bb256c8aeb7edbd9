package main

// The red-team corpus of issue 14 as a test suite: every case builds its own
// inputs (a tiny dataset, a tiny trained run, copies of it, bad files), runs
// one `mrg` command in-process, and checks the exit status, that the
// refusal is one line `mrg VERB: ...` naming the file or field, that nothing
// panicked, and that the files that must survive are byte-for-byte intact.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
	"github.com/mrgkit/mrgkit/mrgkit/run"
)

// copyTree copies a directory (regular files and directories only).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot reads every file under the given paths (files or directories).
func snapshot(t *testing.T, paths []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, root := range paths {
		if _, err := os.Lstat(root); os.IsNotExist(err) {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			out[p] = b
			return err
		})
		if err != nil {
			t.Fatalf("snapshot %s: %v", root, err)
		}
	}
	return out
}

// bombPNG declares w x h gray pixels and holds deflate data for 8 rows.
func bombPNG(w, h int) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		buf.Write(n[:])
		buf.WriteString(typ)
		buf.Write(data)
		binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(append([]byte(typ), data...)))
		buf.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:4], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:8], uint32(h))
	ihdr[8] = 8
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 8*(w+1)))
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

type rtCase struct {
	name   string
	setup  func(t *testing.T) []string // returns the command line (verb first)
	code   int
	msg    string   // in the last line of stderr
	intact []string // files or directories that must not change
	check  func(t *testing.T, stdout, stderr string)
}

func TestReliabilityCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny run")
	}
	t0 := time.Now()
	root := t.TempDir()
	data := filepath.Join(root, "data")
	fixture.Write(t, data, 8, 4, 4, 40)
	// The teacher is trained with a relative -data, as typed in a shell.
	t.Chdir(root)
	teacher := filepath.Join(root, "teacher")
	var so, se bytes.Buffer
	if code := Main([]string{"train", "-data", "data", "-preset", "tiny", "-set", "vocab_threshold=1;epochs=1", "-out", teacher}, &so, &se); code != 0 {
		t.Fatalf("training the corpus's teacher: exit %d\n%s", code, se.String())
	}
	t.Chdir(t.TempDir()) // every case runs from elsewhere
	img := filepath.Join(data, "images", "s000", "0.png")
	n := 0
	fresh := func(t *testing.T) string { n++; return filepath.Join(root, fmt.Sprintf("fresh%d", n)) }
	copyOf := func(t *testing.T, drop ...string) string {
		n++
		dst := filepath.Join(root, fmt.Sprintf("copy%d", n))
		copyTree(t, teacher, dst)
		for _, d := range drop {
			if err := os.RemoveAll(filepath.Join(dst, d)); err != nil {
				t.Fatal(err)
			}
		}
		return dst
	}
	write := func(t *testing.T, name string, b []byte) string {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tiny := []string{"-data", data, "-preset", "tiny"}
	trainArgs := func(out string, extra ...string) []string {
		return append(append(append([]string{"train"}, tiny...), "-out", out), extra...)
	}
	var lastDir string // the directory of the latest setup, for intact/check

	cases := []rtCase{
		// Defect 1: -out destroys what is there.
		{name: "train into a run pruned to best/", code: 1, msg: "holds a trained run (best/) but no ckpt/ to resume",
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t, run.CkptDir)
				return trainArgs(lastDir, "-set", "epochs=1")
			}},
		{name: "train into a user's directory", code: 1, msg: "is not empty (paper.tex) and holds no run to resume",
			setup: func(t *testing.T) []string {
				lastDir = fresh(t)
				_ = os.MkdirAll(lastDir, 0o755)
				_ = os.WriteFile(filepath.Join(lastDir, "paper.tex"), []byte("draft"), 0o644)
				return trainArgs(lastDir)
			}},
		{name: "distill -out the teacher", code: 1, msg: "is the teacher's run directory",
			setup: func(t *testing.T) []string { return []string{"distill", "-teacher", teacher, "-out", teacher} }},
		{name: "distill into a teacher run", code: 1, msg: "holds a teacher run",
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t)
				return []string{"distill", "-teacher", teacher, "-out", lastDir}
			}},
		// Defect 3: a second trainer.
		{name: "second trainer", code: 1, msg: fmt.Sprintf("is in use by process %d", os.Getpid()),
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t)
				l, err := run.LockRun(lastDir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(l.Unlock)
				return trainArgs(lastDir)
			}},
		// Defect 2: resume ignores -set, -preset, -data.
		{name: "resume with a model key", code: 1, msg: "-set cannot change d_model on resume",
			setup: func(t *testing.T) []string { lastDir = copyOf(t); return trainArgs(lastDir, "-set", "d_model=64") }},
		{name: "resume with another preset", code: 1, msg: "-preset cpu differs from the run's preset tiny",
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t)
				return []string{"train", "-data", data, "-preset", "cpu", "-out", lastDir}
			}},
		{name: "resume on other data", code: 1, msg: "differs from the run's data",
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t)
				other := fresh(t)
				fixture.Write(t, other, 8, 4, 4, 40)
				return []string{"train", "-data", other, "-out", lastDir}
			}},
		{name: "resume applies epochs, no NUL padding of a deleted log", code: 0,
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t, run.LogFile)
				_ = os.MkdirAll(filepath.Join(lastDir, ".ckpt.tmp-4242", "x"), 0o755)
				return []string{"train", "-data", data, "-out", lastDir, "-set", "epochs=2"}
			},
			check: func(t *testing.T, stdout, stderr string) {
				b, err := os.ReadFile(run.Dir(lastDir).Log())
				if err != nil || bytes.IndexByte(b, 0) >= 0 || !bytes.Contains(b, []byte(`"epoch":2`)) {
					t.Errorf("log after resume: %v, %d NUL bytes, epoch 2 logged %v", err, bytes.Count(b, []byte{0}), bytes.Contains(b, []byte(`"epoch":2`)))
				}
				if _, err := os.Stat(filepath.Join(lastDir, ".ckpt.tmp-4242")); err == nil {
					t.Error("leftover .ckpt.tmp-4242 not removed")
				}
				var info run.Info
				b, _ = os.ReadFile(run.Dir(lastDir).RunJSON())
				_ = json.Unmarshal(b, &info)
				if !strings.HasSuffix(info.Set, "epochs=2") || !filepath.IsAbs(info.DataDir) {
					t.Errorf("run.json: set %q, data_dir %q", info.Set, info.DataDir)
				}
			}},
		// Defect 6: settings checked before training.
		{name: "select_metric=FOO", code: 2, msg: `"FOO" is not a validation metric`,
			setup: func(t *testing.T) []string {
				lastDir = fresh(t)
				return trainArgs(lastDir, "-set", "select_metric=FOO")
			},
			check: func(t *testing.T, _, _ string) {
				if _, err := os.Stat(run.Dir(lastDir).Log()); err == nil {
					t.Error("a run with a bad select_metric started training")
				}
			}},
		{name: "checkpoint_every=-1", code: 2, msg: "checkpoint_every=-1: must be >= 0",
			setup: func(t *testing.T) []string { return trainArgs(fresh(t), "-set", "checkpoint_every=-1") }},
		{name: "val_limit=-1", code: 2, msg: "val_limit=-1: must be >= 0",
			setup: func(t *testing.T) []string { return trainArgs(fresh(t), "-set", "val_limit=-1") }},
		{name: "lr=1e30", code: 2, msg: "learning_rate=1e+30: must be in (0, 10]",
			setup: func(t *testing.T) []string { return trainArgs(fresh(t), "-set", "lr=1e30") }},
		{name: "lr=NaN", code: 2, msg: "-set lr=NaN: learning_rate must be a finite number",
			setup: func(t *testing.T) []string { return trainArgs(fresh(t), "-set", "lr=NaN") }},
		{name: "resume with lr=inf", code: 2, msg: "-set lr=inf: learning_rate must be a finite number",
			setup: func(t *testing.T) []string { lastDir = copyOf(t); return trainArgs(lastDir, "-set", "lr=inf") }},
		{name: "kd_temperature=NaN", code: 2, msg: "-set kd_temperature=NaN: kd_temperature must be a finite number",
			setup: func(t *testing.T) []string {
				return []string{"distill", "-teacher", teacher, "-out", fresh(t), "-set", "kd_temperature=NaN"}
			}},
		{name: "NaN loss names no checkpoint that does not exist", code: 1, msg: "before its first checkpoint",
			setup: func(t *testing.T) []string {
				return trainArgs(fresh(t), "-set", "vocab_threshold=1;cls_weight=1e39")
			},
			check: func(t *testing.T, _, stderr string) {
				if strings.Contains(stderr, "last good checkpoint") {
					t.Error("names a last good checkpoint")
				}
			}},
		{name: "kd_temperature=0", code: 2, msg: "kd_temperature=0: must be > 0",
			setup: func(t *testing.T) []string {
				return []string{"distill", "-teacher", teacher, "-out", fresh(t), "-set", "kd_temperature=0"}
			}},
		{name: "kd_temperature=-1", code: 2, msg: "kd_temperature=-1: must be > 0",
			setup: func(t *testing.T) []string {
				return []string{"distill", "-teacher", teacher, "-out", fresh(t), "-set", "kd_temperature=-1"}
			}},
		{name: "eval -beam 0", code: 2, msg: "beam=0",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-beam", "0"} }},
		// Decoding options and prompts (faithful decoding).
		{name: "eval -prompts bogus", code: 2, msg: "-prompts must be predicted or truth",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-prompts", "bogus"} }},
		{name: "eval -prompts truth on a split without labels", code: 1, msg: `split "test" has studies without ground-truth labels`,
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-prompts", "truth"} }},
		{name: "eval -length-penalty NaN", code: 2, msg: "length_penalty NaN: must be in [0,5]",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-length-penalty", "NaN"} }},
		{name: "eval -length-penalty 9", code: 2, msg: "length_penalty 9: must be in [0,5]",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-length-penalty", "9"} }},
		{name: "eval -no-repeat-ngram -1", code: 2, msg: "no_repeat_ngram -1: must be in",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-no-repeat-ngram", "-1"} }},
		{name: "eval -min-len 1000", code: 2, msg: "min length 1000: must be in",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-min-len", "1000"} }},
		{name: "eval -repetition-penalty NaN", code: 2, msg: "repetition penalty NaN: must be a number >= 1",
			setup: func(t *testing.T) []string { return []string{"eval", "-run", teacher, "-repetition-penalty", "NaN"} }},
		{name: "train length_penalty=-1", code: 2, msg: "length_penalty=-1: must be in [0, 5]",
			setup: func(t *testing.T) []string { return trainArgs(fresh(t), "-set", "vocab_threshold=1;length_penalty=-1") }},
		{name: "train logit_adjust=bogus", code: 2, msg: `logit_adjust="bogus": must be`,
			setup: func(t *testing.T) []string {
				return trainArgs(fresh(t), "-set", "vocab_threshold=1;logit_adjust=bogus")
			}},
		{name: "train num_labels=18", code: 2, msg: "num_labels=18: must be 14",
			setup: func(t *testing.T) []string { return trainArgs(fresh(t), "-set", "vocab_threshold=1;num_labels=18") }},
		{name: "truncated vocab.json", code: 1, msg: "the vocabulary does not belong to this run",
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t)
				p := run.Dir(lastDir).Vocab()
				var v map[string]any
				b, _ := os.ReadFile(p)
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
				words := v["words"].([]any)
				v["words"], v["size"] = words[:len(words)-1], len(words)-1
				b, _ = json.Marshal(v)
				_ = os.WriteFile(p, b, 0o644)
				return []string{"generate", "-run", lastDir, "-image", img}
			}},
		// Defect 4: image bombs and endless files.
		{name: "generate a 30000x30000 PNG", code: 1, msg: "over the limit of 50000000 (raise the limit with",
			setup: func(t *testing.T) []string {
				return []string{"generate", "-run", teacher, "-image", write(t, "bomb.png", bombPNG(30000, 30000))}
			}},
		{name: "generate -image /dev/zero", code: 1, msg: "/dev/zero: not a regular file",
			setup: func(t *testing.T) []string { return []string{"generate", "-run", teacher, "-image", "/dev/zero"} }},
		{name: "generate -max-image-pixels 0", code: 2, msg: `invalid value "0" for flag -max-image-pixels`,
			setup: func(t *testing.T) []string {
				return []string{"generate", "-run", teacher, "-image", img, "-max-image-pixels", "0"}
			}},
		{name: "data check with a bomb", code: 1, msg: "problem(s)",
			setup: func(t *testing.T) []string {
				imgs := fresh(t)
				_ = os.MkdirAll(filepath.Join(imgs, "b"), 0o755)
				_ = os.WriteFile(filepath.Join(imgs, "b", "0.png"), bombPNG(30000, 30000), 0o644)
				ann := write(t, "bomb_ann.json", []byte(`{"train":[{"id":"b","report":"The heart is normal.","image_path":["b/0.png"]}],"val":[],"test":[]}`))
				return []string{"data", "check", "-ann", ann, "-images", imgs}
			},
			check: func(t *testing.T, stdout, stderr string) {
				if !strings.Contains(stdout+stderr, "30000x30000 = 900000000 pixels, over the limit") {
					t.Errorf("the bomb is not reported:\n%s%s", stdout, stderr)
				}
			}},
		{name: "data check -ann /dev/zero", code: 1, msg: "/dev/zero: not a regular file",
			setup: func(t *testing.T) []string { return []string{"data", "check", "-ann", "/dev/zero", "-images", data} }},
		// Defect 7: plot of non-finite logs.
		{name: "plot a log with 1e309", code: 1, msg: `field "loss" is 1e309, not a finite number`,
			setup: func(t *testing.T) []string {
				lastDir = fresh(t)
				_ = os.MkdirAll(lastDir, 0o755)
				_ = os.WriteFile(run.Dir(lastDir).Log(), []byte(`{"kind":"step","step":1,"loss":1e309}`+"\n"), 0o644)
				return []string{"plot", "-run", lastDir, "-out", filepath.Join(lastDir, "fig")}
			}},
		{name: "plot a log with NaN", code: 1, msg: "not a JSON object",
			setup: func(t *testing.T) []string {
				lastDir = fresh(t)
				_ = os.MkdirAll(lastDir, 0o755)
				_ = os.WriteFile(run.Dir(lastDir).Log(), []byte(`{"kind":"step","step":1,"loss":NaN}`+"\n"), 0o644)
				return []string{"plot", "-run", lastDir, "-out", filepath.Join(lastDir, "fig")}
			}},
		{name: "plot a log with nothing finite", code: 1, msg: "nothing to plot",
			setup: func(t *testing.T) []string {
				lastDir = fresh(t)
				_ = os.MkdirAll(lastDir, 0o755)
				_ = os.WriteFile(run.Dir(lastDir).Log(), []byte(`{"kind":"step","step":1,"loss":"NaN"}`+"\n"), 0o644)
				return []string{"plot", "-run", lastDir, "-out", filepath.Join(lastDir, "fig")}
			}},
		// run.json paths: eval from another directory.
		{name: "eval from another directory", code: 0,
			setup: func(t *testing.T) []string {
				lastDir = copyOf(t)
				return []string{"eval", "-run", lastDir, "-split", "val", "-beam", "1"}
			}},
		// Defect 5: long texts.
		{name: "score two 16,000-word reports", code: 0,
			setup: func(t *testing.T) []string {
				r := strings.Repeat("the heart is normal in size . the lungs are clear . ", 1334)
				b, _ := json.Marshal(map[string]any{"gts": map[string][]string{"1": {r}}, "res": map[string][]string{"1": {"heart " + r}}})
				return []string{"score", "-case", write(t, "long.json", b)}
			},
			check: func(t *testing.T, stdout, stderr string) {
				if !strings.Contains(stderr, "considered at most 32 candidate matches") || !strings.Contains(stdout, `"METEOR"`) {
					t.Errorf("stdout %q\nstderr %q", stdout, stderr)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lastDir = ""
			args := c.setup(t)
			var intact []string
			intact = append(intact, c.intact...)
			if lastDir != "" && c.code != 0 {
				intact = append(intact, lastDir) // a refused command changes nothing
			}
			intact = append(intact, teacher)
			before := snapshot(t, intact)
			var stdout, stderr bytes.Buffer
			code := Main(args, &stdout, &stderr)
			errText := stderr.String()
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, errText)
			}
			if strings.Contains(errText, "panic:") || strings.Contains(errText, "goroutine ") {
				t.Errorf("a panic trace:\n%s", errText)
			}
			if c.code != 0 {
				lines := strings.Split(strings.TrimSpace(errText), "\n")
				last := lines[len(lines)-1]
				if !strings.HasPrefix(last, "mrg "+args[0]) || !strings.Contains(last, c.msg) {
					t.Errorf("last line %q, want `mrg %s: ...%s...`", last, args[0], c.msg)
				}
			}
			after := snapshot(t, intact)
			for p, b := range before {
				if strings.HasSuffix(p, run.RunLockFile) {
					continue
				}
				if a, ok := after[p]; !ok || !bytes.Equal(a, b) {
					t.Errorf("%s lost or changed", p)
				}
			}
			if c.check != nil {
				c.check(t, stdout.String(), errText)
			}
		})
	}
	t.Logf("%d cases in %v", len(cases), time.Since(t0).Round(time.Millisecond))
}
