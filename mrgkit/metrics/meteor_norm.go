package metrics

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
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
//
// Each rule runs only where the text holds what it could match (its
// regular expressions were most of METEOR's time on 100k studies); the
// per-character separator rule is a loop that asks the expression only
// about non-ASCII characters.
func meteorNormalize(line string) []string {
	w := sepOther(" " + line + " ")
	if strings.Contains(w, "..") {
		w = reMultiDot.ReplaceAllString(w, " DOTMULTI$1")
	}
	for strings.Contains(w, "DOTMULTI.") {
		w = reMultiDot2.ReplaceAllString(w, "DOTDOTMULTI $1")
		w = strings.ReplaceAll(w, "DOTMULTI.", "DOTDOTMULTI")
	}
	if strings.Contains(w, ",") {
		w = reComma.ReplaceAllString(w, "$1 , $2")
		w = reComma2.ReplaceAllString(w, "$1 , $2")
		w = reComma3.ReplaceAllString(w, "$1 , $2")
	}
	if strings.ContainsAny(w, "`‘’") {
		w = reQuote.ReplaceAllString(w, "'")
	}
	if strings.ContainsAny(w, "“”") || strings.Contains(w, "''") {
		w = reQuote2.ReplaceAllString(w, ` " `)
	}
	w = strings.ReplaceAll(w, "–", "-")
	w = strings.ReplaceAll(w, "--", "-")
	if strings.Contains(w, "-") {
		w = reRmDash.ReplaceAllString(w, "$1 $2")
	}
	if strings.Contains(w, "'") {
		w = reContEn.ReplaceAllString(w, "$1 ' $2")
		w = reContEn2.ReplaceAllString(w, "$1 ' $2")
		w = reContEn3.ReplaceAllString(w, "$1 ' $2")
		w = reContEn4.ReplaceAllString(w, "$1 '$2")
		w = reContEn5.ReplaceAllString(w, "$1 '$2")
	}

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
	if !isASCII(w) { // runs of ASCII spaces need no collapsing: the tokens are the same
		w = reWhite.ReplaceAllString(w, " ")
	}
	w = strings.TrimFunc(w, func(r rune) bool { return r <= ' ' })
	return javaTokens(javaLower(w))
}

// sepOther is reSepOther.ReplaceAllString(w, " $1 "): every character
// outside the kept classes gets a space on each side. The expression
// matches one character at a time, so asking it per character is the same.
func sepOther(w string) string {
	var sb strings.Builder
	done := 0 // w[:done] is in sb
	for i := 0; i < len(w); {
		c, size := w[i], 1
		var other bool
		if c < utf8.RuneSelf {
			other = !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
				strings.IndexByte(" \t\n\x0b\f\r.'`,-", c) >= 0)
		} else {
			_, size = utf8.DecodeRuneInString(w[i:])
			other = reSepOther.MatchString(w[i : i+size])
		}
		if other {
			if sb.Len() == 0 {
				sb.Grow(len(w) + 16)
			}
			sb.WriteString(w[done:i])
			sb.WriteByte(' ')
			sb.WriteString(w[i : i+size])
			sb.WriteByte(' ')
			done = i + size
		}
		i += size
	}
	if done == 0 {
		return w
	}
	sb.WriteString(w[done:])
	return sb.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
