package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

func TestPairedObservedEqualsScore(t *testing.T) {
	testPairedObserved(t, false)
}

func TestPairedObservedEqualsScoreOnSharedFiles(t *testing.T) {
	testPairedObserved(t, true)
}

func testPairedObserved(t *testing.T, shared bool) {
	b, err := os.ReadFile("testdata/coco_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name string
			caseFile
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	check := func(name string, gts, resA, resB map[string][]string) {
		p, err := NewPaired(PairedInput{Refs: gts, A: resA, B: resB})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		oa, ob := p.Observed()
		for _, side := range []struct {
			res map[string][]string
			got []float64
		}{{resA, oa}, {resB, ob}} {
			want, err := Score(gts, side.res)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for k, key := range p.Keys {
				if math.Abs(side.got[k]-want[key]) > 1e-12 {
					t.Errorf("%s: %s = %.17g from the statistics, Score %.17g", name, key, side.got[k], want[key])
				}
			}
		}
	}
	if shared {
		a, bb := read590(t)
		check("iu 590", a.Gts, a.Res, bb.Res)
		return
	}
	for _, c := range f.Cases {
		check(c.Name, c.Gts, c.Res, c.Res)
	}
	if len(f.Cases) < 2 {
		t.Fatal("too few cases")
	}
}

// read590 reads two systems of the 590-study IU test set (R2Gen split, same
// references): another study's report, and one normal report for all.
func read590(t testing.TB) (a, b caseFile) {
	dir := filepath.Join(sharedDir(t), "eval")
	return readCase(t, filepath.Join(dir, "iu_shuffled_test.json")), readCase(t, filepath.Join(dir, "iu_constnormal_test.json"))
}

func posLabels(pos ...int) chexpert.Labels {
	var l chexpert.Labels
	for _, o := range pos {
		l[o] = chexpert.Positive
	}
	return l
}

// Three studies, the same text for A and B; B's labels better on each study.
// All 2^3 assignments are enumerated; the answers are worked out by hand.
func TestPairedHandComputed(t *testing.T) {
	const c, e = chexpert.Cardiomegaly, chexpert.Edema
	refs := map[string][]string{"1": {"heart is enlarged ."}, "2": {"there is edema ."}, "3": {"enlarged heart and edema ."}}
	hyp := map[string][]string{"1": {"heart is normal ."}, "2": {"no edema ."}, "3": {"heart and lungs ."}}
	in := PairedInput{Refs: refs, A: hyp, B: hyp,
		RefLabels: map[string]chexpert.Labels{"1": posLabels(c), "2": posLabels(e), "3": posLabels(c, e)},
		ALabels:   map[string]chexpert.Labels{"1": posLabels(), "2": posLabels(), "3": posLabels()},
		BLabels:   map[string]chexpert.Labels{"1": posLabels(c), "2": posLabels(e), "3": posLabels(c)},
	}
	got, err := Compare(in, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	// B: micro TP 3, FN 1 -> 6/7; macro (1 + 2/3)/14; example (1+1+2/3)/3.
	// Of the 8 assignments only "none swapped" and "all swapped" reach the
	// observed |difference|: p = 2/8 for all three.
	want := map[string][2]float64{"ce_micro_f1": {6.0 / 7, 0.25}, "ce_macro_f1": {5.0 / 42, 0.25}, "ce_example_f1": {8.0 / 9, 0.25}}
	for k, w := range want {
		g := got[k]
		if g.A != 0 || math.Abs(g.B-w[0]) > 1e-12 || math.Abs(g.Diff-w[0]) > 1e-12 || math.Abs(g.P-w[1]) > 1e-12 {
			t.Errorf("%s: a %g b %g diff %g p %g, want 0, %g, %g, p %g", k, g.A, g.B, g.Diff, g.P, w[0], w[0], w[1])
		}
	}
	for _, k := range ScoreKeys {
		if got[k].P != 1 || got[k].Diff != 0 || got[k].CI != [2]float64{} {
			t.Errorf("%s: same text, got %+v, want diff 0, CI [0,0], p 1", k, got[k])
		}
	}
}

// synth builds n studies: references of a few words, A's hypothesis a
// mangled copy, B's the reference itself when better, and labels to match.
func synth(n int, bBetter bool) PairedInput {
	words := strings.Fields("heart size normal lungs clear no effusion pneumothorax mild cardiomegaly edema opacity right left base")
	in := PairedInput{Refs: map[string][]string{}, A: map[string][]string{}, B: map[string][]string{},
		RefLabels: map[string]chexpert.Labels{}, ALabels: map[string]chexpert.Labels{}, BLabels: map[string]chexpert.Labels{}}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("s%03d", i)
		var ref, bad []string
		for j := 0; j < 6+i%5; j++ {
			ref = append(ref, words[(i*7+j*3)%len(words)])
			bad = append(bad, words[(i*5+j*11+1)%len(words)])
		}
		in.Refs[id] = []string{strings.Join(ref, " ") + " ."}
		in.A[id] = []string{strings.Join(bad, " ")}
		in.RefLabels[id] = posLabels(i%chexpert.NumObservations, (i+3)%chexpert.NumObservations)
		in.ALabels[id] = posLabels((i + 7) % chexpert.NumObservations)
		if bBetter {
			in.B[id] = in.Refs[id]
			in.BLabels[id] = in.RefLabels[id]
		} else {
			in.B[id] = in.A[id]
			in.BLabels[id] = in.ALabels[id]
		}
	}
	return in
}

func TestPairedIdenticalSystems(t *testing.T) {
	got, err := Compare(synth(60, false), 2000, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(PairedKeys) {
		t.Fatalf("%d keys, want %d", len(got), len(PairedKeys))
	}
	for _, k := range PairedKeys {
		if g := got[k]; g.P != 1 || g.Diff != 0 || g.CI != [2]float64{} || g.A != g.B {
			t.Errorf("%s: %+v, want p 1, diff 0, CI [0,0]", k, g)
		}
	}
}

func TestPairedStrictlyBetter(t *testing.T) {
	got, err := Compare(synth(60, true), DefaultResamples, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range PairedKeys {
		g := got[k]
		if g.P >= 0.001 || g.Diff <= 0 || g.CI[0] <= 0 || g.CI[1] < g.CI[0] || g.Diff < g.CI[0] || g.Diff > g.CI[1] {
			t.Errorf("%s: %+v, want p < 0.001 and 0 < CI lo <= diff <= CI hi", k, g)
		}
	}
	// Same seed, same numbers; another seed, another draw.
	again, _ := Compare(synth(60, true), DefaultResamples, 3)
	other, _ := Compare(synth(60, true), DefaultResamples, 4)
	if again["BLEU_4"] != got["BLEU_4"] {
		t.Errorf("seed 3 twice: %+v then %+v", got["BLEU_4"], again["BLEU_4"])
	}
	if other["ROUGE_L"].CI == got["ROUGE_L"].CI {
		t.Errorf("seeds 3 and 4 gave the same bootstrap CI %v", got["ROUGE_L"].CI)
	}
}

// For a mean over studies, the bootstrap CI is close to the normal one:
// here example F1 differences of 1 on half of 400 studies and 0 elsewhere,
// so diff 0.5 and half-width 1.96 * sqrt(0.25/400) = 0.049.
func TestPairedBootstrapMatchesNormalApproximation(t *testing.T) {
	in := synth(400, false)
	for i := 0; i < 400; i += 2 {
		id := fmt.Sprintf("s%03d", i)
		in.ALabels[id] = posLabels()
		in.BLabels[id] = in.RefLabels[id]
	}
	for i := 1; i < 400; i += 2 {
		id := fmt.Sprintf("s%03d", i)
		in.ALabels[id] = posLabels()
		in.BLabels[id] = posLabels()
	}
	in.NoMETEOR = true
	got, err := Compare(in, DefaultResamples, 11)
	if err != nil {
		t.Fatal(err)
	}
	g := got["ce_example_f1"]
	half := 1.96 * math.Sqrt(0.25/400)
	if math.Abs(g.Diff-0.5) > 1e-12 || math.Abs(g.CI[0]-(0.5-half)) > 0.1*half || math.Abs(g.CI[1]-(0.5+half)) > 0.1*half {
		t.Errorf("example F1: diff %g CI %v, want 0.5 and about [%.4f, %.4f]", g.Diff, g.CI, 0.5-half, 0.5+half)
	}
	if _, ok := got["METEOR"]; ok {
		t.Error("NoMETEOR still reports METEOR")
	}
}

func TestPairedErrors(t *testing.T) {
	in := synth(5, true)
	delete(in.B, "s002")
	_, err := NewPaired(in)
	if err == nil || !strings.Contains(err.Error(), `"s002"`) || !strings.Contains(err.Error(), "system B") {
		t.Errorf("B missing s002: got %v", err)
	}
	in = synth(5, true)
	delete(in.ALabels, "s003")
	if _, err := NewPaired(in); err == nil || !strings.Contains(err.Error(), `"s003"`) {
		t.Errorf("A labels missing s003: got %v", err)
	}
	in = synth(5, true)
	in.BLabels = nil
	if _, err := NewPaired(in); err == nil {
		t.Error("labels for only two sides: no error")
	}
}

func TestComparisonJSON(t *testing.T) {
	b, err := json.Marshal(map[string]Comparison{"BLEU_4": {A: 0.1, B: 0.2, Diff: 0.1, CI: [2]float64{0.05, 0.15}, P: 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"BLEU_4":{"a":0.1,"b":0.2,"diff":0.1,"ci":[0.05,0.15],"p":0.01}}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// BenchmarkCompare590 is 10,000 shuffles plus 10,000 bootstrap resamples of
// the 590-study IU test set, all ten metrics (statistics prepared once,
// outside the timer).
func BenchmarkCompare590(b *testing.B) {
	a, bb := read590(b)
	in := PairedInput{Refs: a.Gts, A: a.Res, B: bb.Res, RefLabels: map[string]chexpert.Labels{}, ALabels: map[string]chexpert.Labels{}, BLabels: map[string]chexpert.Labels{}}
	i := 0
	for id := range a.Gts {
		in.RefLabels[id] = posLabels(i % 14)
		in.ALabels[id] = posLabels((i * 3) % 14)
		in.BLabels[id] = posLabels((i * 5) % 14)
		i++
	}
	p, err := NewPaired(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Compare(DefaultResamples, uint64(i))
	}
}

// BenchmarkNewPaired590 is the one-off preparation (both systems scored once).
func BenchmarkNewPaired590(b *testing.B) {
	a, bb := read590(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewPaired(PairedInput{Refs: a.Gts, A: a.Res, B: bb.Res}); err != nil {
			b.Fatal(err)
		}
	}
}
