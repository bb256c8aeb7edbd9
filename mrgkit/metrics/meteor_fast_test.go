package metrics

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAlignMatchesNaive compares the indexed, lazily built beam search with
// the first implementation on random repetitive texts below the cap.
func TestAlignMatchesNaive(t *testing.T) {
	words := []string{"the", "heart", "hearts", "is", "normal", "normally", "lung", "lungs", "clear", "no", "effusion", "effusions", "a", "."}
	syn := loadSmallSynonyms(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		gen := func() []string {
			k := rng.IntN(25)
			out := make([]string, k)
			for i := range out {
				out[i] = words[rng.IntN(1+rng.IntN(len(words)))]
			}
			return out
		}
		w1, w2 := gen(), gen()
		for _, opt := range []MeteorOptions{{NoWordNet: true}, {Synonyms: syn}} {
			m, err := newMeteorScorer(opt)
			if err != nil {
				t.Fatal(err)
			}
			want := m.alignNaive(w1, w2)
			got, capped := m.align(w1, w2)
			if capped || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("case %d (synonyms %v)\nhyp %q\nref %q\nalign %+v (capped %v)\nnaive %+v", n, opt.Synonyms != nil, strings.Join(w1, " "), strings.Join(w2, " "), got, capped, want)
			}
		}
	}
}

// TestMeteorLongReports: two 16,000-word reports (repetitive runaway
// generations) are scored in under 2 s of CPU (the process's CPU time, not
// the wall clock, which a loaded machine stretches), and the cap is reported.
func TestMeteorLongReports(t *testing.T) {
	base := strings.Fields("the heart is normal in size . the lungs are clear . no pleural effusion or pneumothorax . ")
	var a, b []string
	for len(a) < 16010 {
		a = append(a, base...)
	}
	for len(b) < 16000 {
		b = append(b, base[(len(b)/3)%len(base)]) // each word three times
	}
	for _, tc := range []struct{ name, hyp, ref string }{
		{"identical heart", strings.Repeat("heart ", 16000), strings.Repeat("heart ", 16000)},
		{"report loop", strings.Join(a[:16000], " "), strings.Join(a[5:16005], " ")},
		{"mixed", strings.Join(a[:16000], " "), strings.Join(b[:16000], " ")},
	} {
		capped := 0
		t0 := cpuTime(t)
		s, err := MeteorWith(map[string][]string{"1": {tc.ref}}, map[string][]string{"1": {tc.hyp}}, MeteorOptions{Capped: &capped})
		dt := cpuTime(t) - t0
		if err != nil || s < 0 || s > 1 {
			t.Errorf("%s: METEOR %v, %v", tc.name, s, err)
		}
		if dt > 2*time.Second {
			t.Errorf("%s: took %v", tc.name, dt)
		}
		if capped != 1 {
			t.Errorf("%s: capped %d, want 1", tc.name, capped)
		}
		t.Logf("%s: METEOR %.4f in %v CPU", tc.name, s, dt)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
