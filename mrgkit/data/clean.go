package data

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Report cleaning byte-identical to R2Gen's Tokenizer.clean_report_iu_xray and
// clean_report_mimic_cxr (modules/tokenizers.py), including its quirks:
//   - the regex class [.,?;*!%^&_+():-\[\]{}] contains the range ':'..'[', so it
//     deletes : ; < = > ? @ A-Z [ and keeps '-';
//   - its empty-sentence filter compares a string with [] and never fires, so
//     empty sentences stay (" .  . ");
//   - Python's str.strip/lower/split semantics (Unicode whitespace including
//     \x1c-\x1f, full lowercase mapping with final sigma).

// iuListMarkers are R2Gen's list-marker replacements, in its order.
var iuListMarkers = []string{
	"1. ", "",
	". 2. ", ". ", ". 3. ", ". ", ". 4. ", ". ", ". 5. ", ". ",
	" 2. ", ". ", " 3. ", ". ", " 4. ", ". ", " 5. ", ". ",
}

// CleanIU is R2Gen's clean_report_iu_xray.
func CleanIU(s string) string {
	for range 3 {
		s = strings.ReplaceAll(s, "..", ".")
	}
	return cleanCommon(s)
}

// CleanMIMIC is R2Gen's clean_report_mimic_cxr.
func CleanMIMIC(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	for range 7 {
		s = strings.ReplaceAll(s, "__", "_")
	}
	for range 6 {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	for range 8 {
		s = strings.ReplaceAll(s, "..", ".")
	}
	return cleanCommon(s)
}

// cleanCommon applies the list-marker replacements, splits into sentences and cleans each.
func cleanCommon(s string) string {
	for i := 0; i < len(iuListMarkers); i += 2 {
		s = strings.ReplaceAll(s, iuListMarkers[i], iuListMarkers[i+1])
	}
	s = pyLower(pyStrip(s))
	sents := strings.Split(s, ". ")
	for i, t := range sents {
		sents[i] = cleanSentence(t)
	}
	return strings.Join(sents, " . ") + " ."
}

// sentDrop holds the ASCII characters R2Gen's sentence regex deletes.
var sentDrop = func() (t [utf8.RuneSelf]bool) {
	for _, c := range ".,?;*!%^&_+(){}]" {
		t[c] = true
	}
	for c := ':'; c <= '['; c++ {
		t[c] = true
	}
	return t
}()

// cleanSentence is R2Gen's sent_cleaner.
func cleanSentence(t string) string {
	t = strings.NewReplacer(`"`, "", "/", "", `\`, "", "'", "").Replace(t)
	t = pyLower(pyStrip(t))
	var b strings.Builder
	b.Grow(len(t))
	for i := 0; i < len(t); i++ {
		if c := t[i]; c < utf8.RuneSelf && sentDrop[c] {
			continue
		}
		b.WriteByte(t[i])
	}
	return b.String()
}

// Cleaner returns the cleaning function of a dataset: "iu_xray" and "toycxr"
// (R2Gen's IU X-Ray cleaner) or "mimic_cxr".
func Cleaner(dataset string) (func(string) string, error) {
	switch dataset {
	case "iu_xray", "toycxr":
		return CleanIU, nil
	case "mimic_cxr":
		return CleanMIMIC, nil
	}
	return nil, errors.Errorf("unknown dataset %q (want iu_xray, mimic_cxr or toycxr)", dataset)
}

// DefaultThreshold returns R2Gen's vocabulary threshold and max length for a dataset.
func DefaultThreshold(dataset string) (threshold, maxLen int, err error) {
	switch dataset {
	case "iu_xray", "toycxr":
		return 3, 60, nil
	case "mimic_cxr":
		return 10, 100, nil
	}
	return 0, 0, errors.Errorf("unknown dataset %q (want iu_xray, mimic_cxr or toycxr)", dataset)
}

// pyIsSpace is Python's str.isspace for one character: Go's unicode.IsSpace
// plus the ASCII separators \x1c-\x1f.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r != utf8.RuneError && pyIsSpace(r) })
}

// PyFields is Python's str.split() without arguments: runs of Unicode
// whitespace separate tokens, empty tokens are dropped. R2Gen tokenizes
// cleaned reports this way.
func PyFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r != utf8.RuneError && pyIsSpace(r) })
}

// pyLower is Python's str.lower(): simple lowercase mappings, the full
// mapping of U+0130 and the Final_Sigma rule. Invalid UTF-8 bytes are kept.
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(s[i : i+n])
		case r == 0x130:
			b.WriteString("i\u0307")
		case r == 0x3a3:
			if finalSigma(s, i, i+n) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += n
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at s[start:end] is in the
// Final_Sigma context: cased (case-ignorable)* Σ !((case-ignorable)* cased).
func finalSigma(s string, start, end int) bool {
	j := start
	before := false
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if !caseIgnorable(r) {
			before = cased(r)
			break
		}
	}
	if !before {
		return false
	}
	for k := end; k < len(s); {
		r, n := utf8.DecodeRuneInString(s[k:])
		k += n
		if !caseIgnorable(r) {
			return !cased(r)
		}
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
