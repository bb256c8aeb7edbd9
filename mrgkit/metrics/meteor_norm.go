package metrics

import (
	"regexp"
	"strings"
	"unicode"
)

// Character classes of Meteor 1.5's Normalizer (Western European and Cyrillic letters).
const (
	meteorAlphaChars = `A-Za-zŠŽšžŸÀ-ÖØ-öø-žЀ-ӿԀ-ԧꙀ-ꙮ꙾-ꚗᴀ-ᵿ`
	meteorAlnumChars = `0-9` + meteorAlphaChars
	javaSpace        = ` \t\n\x0B\f\r` // Java regex \s
)

var (
	reSepOther  = regexp.MustCompile(`([^` + meteorAlnumChars + javaSpace + `.'` + "`" + `,\-‘’])`)
	reMultiDot  = regexp.MustCompile(`\.(\.+)`)
	reMultiDot2 = regexp.MustCompile(`DOTMULTI\.([^.])`)
	reComma     = regexp.MustCompile(`([^0-9]),([^0-9])`)
	reComma2    = regexp.MustCompile(`([0-9]),([^0-9])`)
	reComma3    = regexp.MustCompile(`([^0-9]),([0-9])`)
	reQuote     = regexp.MustCompile("[`‘’]")
	reQuote2    = regexp.MustCompile(`[“”]|''`)
	reRmDash    = regexp.MustCompile(`([` + meteorAlnumChars + `.])-([` + meteorAlnumChars + `])`)
	reContEn    = regexp.MustCompile(`([^` + meteorAlphaChars + `])'([^` + meteorAlphaChars + `])`)
	reContEn2   = regexp.MustCompile(`([^` + meteorAlphaChars + `0-9])'([` + meteorAlphaChars + `])`)
	reContEn3   = regexp.MustCompile(`([` + meteorAlphaChars + `])'([^` + meteorAlphaChars + `])`)
	reContEn4   = regexp.MustCompile(`([` + meteorAlphaChars + `])'([` + meteorAlphaChars + `])`)
	reContEn5   = regexp.MustCompile(`([0-9])'(s)`)
	reNbpAlpha  = regexp.MustCompile(`[` + meteorAlphaChars + `]`)
	reWhite     = regexp.MustCompile("[ \u2000-\u200a\u202f\u205f\u3000\u00a0]+")
)

// meteorNormalize is Meteor 1.5's English normalisation with punctuation
// kept (the jar's -norm), followed by its lower-casing. Tokens are then the
// result split on Java's StringTokenizer whitespace. The one departure: the
// jar's list of non-breaking prefixes ("Mr.", "Dr.", single capitals, ...)
// is not shipped, so a word ending in "." is kept whole only when the next
// token starts with a lower-case letter or the word itself holds an inner
// dot (U.S.), as in the jar's other rules.
func meteorNormalize(line string) []string {
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

// javaTokens splits like java.util.StringTokenizer's default delimiters.
func javaTokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	})
}

// javaLower approximates String.toLowerCase() (simple case mapping per rune).
func javaLower(s string) string {
	return strings.Map(unicode.ToLower, s)
}

// javaHash is Java's String.hashCode over UTF-16 code units: Meteor's
// aligner compares words (and stems) by this hash, collisions included.
func javaHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3ff))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}
