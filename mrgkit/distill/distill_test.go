package distill

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"
	"github.com/mrgkit/mrgkit/mrgkit/run"
	"github.com/mrgkit/mrgkit/mrgkit/train"
)

func evalScalar(t *testing.T, fn func(g *graph.Graph) *graph.Node) float64 {
	t.Helper()
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	out, err := graph.ExecOnce(be, fn)
	if err != nil {
		t.Fatal(err)
	}
	return float64(out.Value().(float32))
}

// TestGlobalKDHandComputed: B=1, report of 1 word + EOS (2 positions count,
// the third is padding), vocabulary of 3 tokens, T=2.
func TestGlobalKDHandComputed(t *testing.T) {
	s := [][][]float32{{{1, 0, 0}, {0, 2, 0}, {5, 5, 5}}}
	tt := [][][]float32{{{0, 1, 0}, {0, 2, 1}, {-5, 0, 5}}}
	tokens := [][]int32{{2, 0, 0}}
	// Hand computation (independent of the graph code).
	kl := func(zs, zt []float64, T float64) float64 {
		p := softmax(zt, T)
		q := softmax(zs, T)
		var k float64
		for i := range p {
			k += p[i] * math.Log(p[i]/q[i])
		}
		return k
	}
	T := 2.0
	want := T * T * (kl([]float64{1, 0, 0}, []float64{0, 1, 0}, T) + kl([]float64{0, 2, 0}, []float64{0, 2, 1}, T)) / 1
	got := evalScalar(t, func(g *graph.Graph) *graph.Node {
		return GlobalKD(graph.Const(g, s), graph.Const(g, tt), graph.Const(g, tokens), T, false)
	})
	if math.Abs(got-want) > 1e-5 {
		t.Errorf("GlobalKD = %.7f, want %.7f", got, want)
	}
	// Adaptive: weights = teacher prob (T=1) of the target token / mean.
	p0 := softmax([]float64{0, 1, 0}, 1)[2]
	p1 := softmax([]float64{0, 2, 1}, 1)[0]
	mean := (p0 + p1) / 2
	wantA := T * T * (p0/mean*kl([]float64{1, 0, 0}, []float64{0, 1, 0}, T) + p1/mean*kl([]float64{0, 2, 0}, []float64{0, 2, 1}, T))
	gotA := evalScalar(t, func(g *graph.Graph) *graph.Node {
		return GlobalKD(graph.Const(g, s), graph.Const(g, tt), graph.Const(g, tokens), T, true)
	})
	if math.Abs(gotA-wantA) > 1e-5 {
		t.Errorf("adaptive GlobalKD = %.7f, want %.7f", gotA, wantA)
	}
	// Identical logits: no loss.
	zero := evalScalar(t, func(g *graph.Graph) *graph.Node {
		return GlobalKD(graph.Const(g, s), graph.Const(g, s), graph.Const(g, tokens), T, false)
	})
	if math.Abs(zero) > 1e-6 {
		t.Errorf("GlobalKD(s, s) = %g, want 0", zero)
	}
}

func softmax(z []float64, T float64) []float64 {
	var sum float64
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = math.Exp(v / T)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// TestLocalKDHandComputed: B=2, one patch of 2 features, 1 class logit.
func TestLocalKDHandComputed(t *testing.T) {
	fs := [][][]float32{{{1, 0}}, {{1, 1}}}
	ft := [][][]float32{{{0, 2}}, {{1, 0}}}
	cs := [][][]float32{{{1}}, {{2}}}
	ct := [][][]float32{{{1}}, {{-1}}}
	row := func(f [][]float64, c [][]float64, i int) []float64 {
		var r []float64
		for j := range f {
			r = append(r, f[i][0]*f[j][0]+f[i][1]*f[j][1])
		}
		for j := range c {
			r = append(r, c[i][0]*c[j][0])
		}
		var n float64
		for _, v := range r {
			n += v * v
		}
		n = math.Sqrt(n)
		for k := range r {
			r[k] /= n
		}
		return r
	}
	F := [][]float64{{1, 0}, {1, 1}}
	Ft := [][]float64{{0, 2}, {1, 0}}
	C := [][]float64{{1}, {2}}
	Ct := [][]float64{{1}, {-1}}
	var want float64
	for i := 0; i < 2; i++ {
		a, b := row(F, C, i), row(Ft, Ct, i)
		var d float64
		for k := range a {
			d += (a[k] - b[k]) * (a[k] - b[k])
		}
		want += math.Sqrt(d)
	}
	got := evalScalar(t, func(g *graph.Graph) *graph.Node {
		return LocalKD(graph.Const(g, fs), graph.Const(g, ft), graph.Const(g, cs), graph.Const(g, ct))
	})
	if math.Abs(got-want) > 1e-4 {
		t.Errorf("LocalKD = %.6f, want %.6f", got, want)
	}
}

func TestDistillTinyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	fixture.Write(t, dir, 16, 4, 4, 40)
	be, err := backend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	teacher := filepath.Join(dir, "teacher")
	if _, err := train.Train(train.Options{DataDir: dir, Dataset: "toycxr", Preset: "tiny", Set: "vocab_threshold=1;epochs=1", Out: teacher, Backend: be, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	student := filepath.Join(dir, "student")
	sum, err := Distill(Options{Teacher: teacher, Set: "epochs=1;kd_adaptive=true", Out: student, Backend: be, Quiet: true, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 4 {
		t.Errorf("steps = %d, want 4", sum.Steps)
	}
	recs, err := os.ReadFile(filepath.Join(student, "round2", run.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(recs), `"kd_global"`) || !strings.Contains(string(recs), `"kd_local"`) {
		t.Errorf("student log lacks KD losses:\n%s", recs)
	}
	// A student with its own preset resumes without repeating -preset (the
	// teacher's preset is only the default of a new student).
	own := filepath.Join(t.TempDir(), "own")
	if _, err := Distill(Options{Teacher: teacher, Preset: "cpu", Set: "epochs=1;batch_size=4;vocab_threshold=1", Out: own, Backend: be, Quiet: true, MaxSteps: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Distill(Options{Teacher: teacher, Out: own, Backend: be, Quiet: true, MaxSteps: 2}); err != nil {
		t.Errorf("resuming a student of another preset than its teacher's: %v", err)
	}
	// -out is the teacher: refused, the teacher's files untouched.
	before, _ := os.ReadFile(run.Dir(teacher).RunJSON())
	if _, err := Distill(Options{Teacher: teacher, Out: teacher + "/.", Backend: be, Quiet: true}); err == nil || !strings.Contains(err.Error(), "is the teacher's run directory") {
		t.Errorf("distill -out TEACHER: %v", err)
	}
	if after, _ := os.ReadFile(run.Dir(teacher).RunJSON()); string(after) != string(before) {
		t.Errorf("the teacher's run.json changed:\n%s\n%s", before, after)
	}
	for _, tc := range []struct{ set, want string }{
		{"kd_temperature=0", "kd_temperature=0: must be > 0"},
		{"kd_temperature=-1", "kd_temperature=-1: must be > 0"},
		{"kd_global_weight=-1", "kd_global_weight=-1: must be >= 0"},
	} {
		if _, err := Distill(Options{Teacher: teacher, Set: tc.set, Out: filepath.Join(t.TempDir(), "s"), Backend: be, Quiet: true}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-set %s: %v, want %q", tc.set, err, tc.want)
		}
	}
	// Incompatible student: a different image size is overridden by the
	// teacher's, but a different vocabulary is refused.
	if _, err := Distill(Options{Teacher: filepath.Join(dir, "nope"), Out: filepath.Join(dir, "x"), Backend: be}); err == nil {
		t.Error("missing teacher accepted")
	}
}
