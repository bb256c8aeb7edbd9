package metrics

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
)

// wordNet returns the installed WordNet; without it the test skips, and
// fails under CI=true (.ci/setup installs wordnet-base).
func wordNet(t testing.TB) *Synonyms {
	t.Helper()
	syn, dir, err := DefaultWordNet()
	if err != nil {
		t.Fatal(err)
	}
	if syn == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("WordNet 3.0 not found at %s (apt-get install wordnet-base; .ci/setup does)", DefaultWordNetDir)
		}
		t.Skipf("WordNet 3.0 not installed at %s (apt-get install wordnet-base)", DefaultWordNetDir)
	}
	if dir == "" {
		t.Fatal("no directory")
	}
	return syn
}

func TestWordNetSynonymsAndExceptions(t *testing.T) {
	syn := wordNet(t)
	sc := &meteorScorer{syn: syn, synSets: map[string][]int32{}}
	share := func(a, b string) bool { return intersects(sc.sets(a), sc.sets(b)) }
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"big", "large", true},     // adjective synset
		{"lungs", "lung", true},    // suffix rule
		{"mice", "mouse", true},    // noun.exc
		{"ran", "run", true},       // verb.exc
		{"heart", "pleura", false}, // unrelated
	} {
		if got := share(c.a, c.b); got != c.want {
			t.Errorf("%s ~ %s: %v, want %v", c.a, c.b, got, c.want)
		}
	}
	// Hand-computed METEOR (delta 0.75, "the" a function word; one chunk,
	// every word matched): content dog exact (1.0), big~large synonym (0.8),
	// "the" exact: P = R = (0.75*1.8 + 0.25) / (0.75*2 + 0.25) = 32/35; with
	// "mice"/"mouse" (exception list): (0.75*0.8 + 0.25) / 1 = 0.85.
	for _, c := range []struct {
		ref, hyp string
		want     float64
	}{{"the large dog", "the big dog", 32.0 / 35}, {"the mouse", "the mice", 0.85}} {
		got, err := Meteor(map[string][]string{"1": {c.ref}}, map[string][]string{"1": {c.hyp}})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%q vs %q: METEOR %.15f, want %.15f", c.hyp, c.ref, got, c.want)
		}
		off, _ := MeteorWith(map[string][]string{"1": {c.ref}}, map[string][]string{"1": {c.hyp}}, MeteorOptions{NoWordNet: true})
		if off >= got {
			t.Errorf("%q vs %q: without WordNet %.6f, not below %.6f", c.hyp, c.ref, off, got)
		}
	}
	if m := MeteorModules(MeteorOptions{}); !strings.Contains(m, "synonym (WordNet") || !strings.Contains(m, "no paraphrase") {
		t.Errorf("MeteorModules = %q", m)
	}
	if m := MeteorModules(MeteorOptions{NoWordNet: true}); strings.Contains(m, "synonym (") {
		t.Errorf("MeteorModules(NoWordNet) = %q", m)
	}
}

// nlg-eval's published METEOR (the full jar, paraphrases included) of its
// test examples, from its test suite.
var nlgEvalPublished = map[string]float64{
	"meteor/examples.json":         0.295797,
	"meteor/single_good_test.json": 0.44434387,
	"meteor/single_french.json":    0.48372379050300296,
	"meteor/single_japanese.json":  1.0,
}

// TestMeteorWordNetAgainstJar logs how far the kit's METEOR is from the jar
// with WordNet (no paraphrases; testdata jar_wordnet) and from nlg-eval's
// published numbers, without and with WordNet.
func TestMeteorWordNetAgainstJar(t *testing.T) {
	wordNet(t)
	want := loadMeteorExpected(t)["jar_wordnet"]
	in := meteorInputs(t, true)
	names := make([]string, 0, len(want))
	for n := range want {
		if _, ok := in[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) < 10 {
		t.Fatalf("only %d jar_wordnet cases", len(names))
	}
	var sumOff, sumOn float64
	for _, n := range names {
		c := in[n]
		off, err := MeteorWith(c.Gts, c.Res, MeteorOptions{NoWordNet: true})
		if err != nil {
			t.Fatal(err)
		}
		on, err := Meteor(c.Gts, c.Res)
		if err != nil {
			t.Fatal(err)
		}
		sumOff += math.Abs(off - want[n].Score)
		sumOn += math.Abs(on - want[n].Score)
		pub := ""
		if p, ok := nlgEvalPublished[n]; ok {
			pub = fmt.Sprintf("  nlg-eval published %.6f", p)
		}
		t.Logf("%-42s jar+WordNet %.6f  kit exact+stem %.6f  kit +WordNet %.6f%s", n, want[n].Score, off, on, pub)
	}
	t.Logf("mean |kit - jar+WordNet| over %d files: %.5f without WordNet, %.5f with", len(names), sumOff/float64(len(names)), sumOn/float64(len(names)))
	if sumOn >= sumOff {
		t.Errorf("WordNet does not bring the kit closer to the jar: %.5f -> %.5f", sumOff, sumOn)
	}
}
