package metrics

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// meteorNormalizeRegexp is the first normaliser: every rule of the jar's
// Normalizer as a regular expression, run on every text. The faster one
// (meteor_norm.go) skips rules that cannot match; it is tested against this.
func meteorNormalizeRegexp(line string) []string {
	w := " " + line + " "
	w = reSepOther.ReplaceAllString(w, " $1 ")
	w = reMultiDot.ReplaceAllString(w, " DOTMULTI$1")
	for strings.Contains(w, "DOTMULTI.") {
		w = reMultiDot2.ReplaceAllString(w, "DOTDOTMULTI $1")
		w = strings.ReplaceAll(w, "DOTMULTI.", "DOTDOTMULTI")
	}
	w = reComma.ReplaceAllString(w, "$1 , $2")
	w = reComma2.ReplaceAllString(w, "$1 , $2")
	w = reComma3.ReplaceAllString(w, "$1 , $2")
	w = reQuote.ReplaceAllString(w, "'")
	w = reQuote2.ReplaceAllString(w, ` " `)
	w = strings.ReplaceAll(w, "–", "-")
	w = strings.ReplaceAll(w, "--", "-")
	w = reRmDash.ReplaceAllString(w, "$1 $2")
	w = reContEn.ReplaceAllString(w, "$1 ' $2")
	w = reContEn2.ReplaceAllString(w, "$1 ' $2")
	w = reContEn3.ReplaceAllString(w, "$1 ' $2")
	w = reContEn4.ReplaceAllString(w, "$1 '$2")
	w = reContEn5.ReplaceAllString(w, "$1 '$2")

	words := javaTokens(w)
	var sb strings.Builder
	for i, word := range words {
		if len(word) > 1 && strings.HasSuffix(word, ".") {
			pre := word[:len(word)-1]
			switch {
			case strings.Contains(pre, ".") && reNbpAlpha.MatchString(pre):
				sb.WriteString(strings.ReplaceAll(word, ".", ""))
			case i < len(words)-1 && words[i+1][0] >= 'a' && words[i+1][0] <= 'z':
				sb.WriteString(word)
			default:
				sb.WriteString(pre)
				sb.WriteString(" .")
			}
		} else {
			sb.WriteString(word)
		}
		sb.WriteString(" ")
	}
	w = sb.String()
	for strings.Contains(w, "DOTDOTMULTI") {
		w = strings.ReplaceAll(w, "DOTDOTMULTI", "DOTMULTI.")
	}
	w = strings.ReplaceAll(w, "DOTMULTI", ".")
	w = reWhite.ReplaceAllString(w, " ")
	w = strings.TrimFunc(w, func(r rune) bool { return r <= ' ' })
	return javaTokens(javaLower(w))
}

// TestNormalizeMatchesRegexp: the normaliser that skips rules gives the
// tokens of the one that runs them all, on the shared test reports and on
// random texts made of the characters the rules look at.
func TestNormalizeMatchesRegexp(t *testing.T) {
	check := func(t *testing.T, texts []string) {
		for _, s := range texts {
			if got, want := meteorNormalize(s), meteorNormalizeRegexp(s); !slices.Equal(got, want) {
				t.Fatalf("%q: tokens %q, want %q", s, got, want)
			}
		}
	}
	t.Run("shared reports", func(t *testing.T) {
		c := readCase(t, filepath.Join(sharedDir(t), "eval", "iu_shuffled_test.json"))
		var texts []string
		for _, m := range []map[string][]string{c.Gts, c.Res} {
			for _, l := range m {
				texts = append(texts, l...)
			}
		}
		check(t, texts)
	})
	var texts []string
	pieces := []string{"a", "Heart", "x", "9", "1", "0", " ", "  ", "\t", "\n", "\x0b", "\f", "\r", "\x01", ".", "..", "...", ",", "'", "''", "`",
		"‘", "’", "“", "”", "-", "--", "–", ":", "/", "(", ")", "%", "é", "Š", "ж", "ᴀ", "ꙁ", "テ", "\u00a0", "\u2003", "\u202f", "\u3000",
		"DOTMULTI", "DOTMULTI.", "U.S.", "Dr.", "e.g.", "s", "\xff", "\xe2\x80", "😀"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var sb strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, sb.String())
	}
	check(t, texts)
}
