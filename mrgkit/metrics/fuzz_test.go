package metrics

import (
	"math"
	"strings"
	"testing"
)

// FuzzScore: on any input the scorers never panic, BLEU/ROUGE-L/METEOR lie
// in [0,1], CIDEr is >= 0 and finite, and results are bit-for-bit repeatable.
// The input is split into a small corpus: lines are "ref1 | ref2 || hyp".
func FuzzScore(f *testing.F) {
	for _, s := range []string{
		"the heart is normal . || the heart is normal .",
		"a b c | a b || \nno effusion . || no pleural effusion .",
		" || ",
		"x x x x || x",
		"DOTMULTI... Dr. smith's 1,000 e.g. U.S.-based ''quote'' ||| || a",
		"テスト || テスト\n\t\x1c || \u00a0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		gts, res := map[string][]string{}, map[string][]string{}
		for i, line := range strings.Split(s, "\n") {
			refs, hyp, _ := strings.Cut(line, "||")
			id := string(rune('a' + i%26))
			if i >= 26 {
				break
			}
			gts[id] = strings.Split(refs, "|")
			res[id] = []string{hyp}
		}
		a, err := Score(gts, res)
		if err != nil {
			t.Fatalf("Score: %v", err)
		}
		b, _ := Score(gts, res)
		for _, k := range ScoreKeys {
			v := a[k]
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("%s = %v on %q", k, v, s)
			}
			if k != "CIDEr" && v > 1+1e-12 {
				t.Fatalf("%s = %v > 1 on %q", k, v, s)
			}
			if math.Float64bits(v) != math.Float64bits(b[k]) {
				t.Fatalf("%s not deterministic: %v vs %v", k, v, b[k])
			}
		}
	})
}
