package metrics

import "strings"

// Stem returns the Snowball English ("Porter2") stem of a lower-case word,
// the stemmer Meteor 1.5 uses for its stem module. Written from the
// published algorithm (snowballstem.org, English stemmer), including the
// exceptional forms and the gener/commun/arsen R1 rule.
func Stem(word string) string {
	if s, ok := stemException1[word]; ok {
		return s
	}
	w := []rune(word)
	if len(w) < 3 {
		return word
	}
	// Prelude: initial apostrophe, y -> Y at the start and after a vowel.
	if w[0] == '\'' {
		w = w[1:]
	}
	yFound := false
	if len(w) > 0 && w[0] == 'y' {
		w[0] = 'Y'
		yFound = true
	}
	for i := 1; i < len(w); i++ {
		if w[i] == 'y' && isStemVowel(w[i-1]) {
			w[i] = 'Y'
			yFound = true
		}
	}
	st := &stemmer{w: w}
	st.markRegions()
	st.step1a()
	if !stemException2[string(st.w)] {
		st.step1b()
		st.step1c()
		st.step2()
		st.step3()
		st.step4()
		st.step5()
	}
	out := string(st.w)
	if yFound {
		out = strings.ReplaceAll(out, "Y", "y")
	}
	return out
}

var stemException1 = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
	"singly": "singl", "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas",
	"cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

var stemException2 = map[string]bool{
	"inning": true, "outing": true, "canning": true, "herring": true,
	"earring": true, "proceed": true, "exceed": true, "succeed": true,
}

func isStemVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

type stemmer struct {
	w      []rune
	p1, p2 int
}

func (s *stemmer) markRegions() {
	n := len(s.w)
	s.p1, s.p2 = n, n
	str := string(s.w)
	start := -1
	for _, pre := range []string{"gener", "commun", "arsen"} {
		if strings.HasPrefix(str, pre) {
			start = len([]rune(pre))
		}
	}
	if start < 0 {
		start = s.pastVowelConsonant(0)
		if start < 0 {
			return
		}
	}
	s.p1 = start
	if p2 := s.pastVowelConsonant(start); p2 >= 0 {
		s.p2 = p2
	}
}

// pastVowelConsonant returns the position after the first non-vowel that
// follows a vowel at or after from, or -1.
func (s *stemmer) pastVowelConsonant(from int) int {
	i := from
	for i < len(s.w) && !isStemVowel(s.w[i]) {
		i++
	}
	if i >= len(s.w) {
		return -1
	}
	for i < len(s.w) && isStemVowel(s.w[i]) {
		i++
	}
	if i >= len(s.w) {
		return -1
	}
	return i + 1
}

func (s *stemmer) hasSuffix(suf string) bool {
	r := []rune(suf)
	if len(r) > len(s.w) {
		return false
	}
	return string(s.w[len(s.w)-len(r):]) == suf
}

// longest returns the longest of the suffixes the word ends with, or "".
func (s *stemmer) longest(sufs ...string) string {
	best := ""
	for _, x := range sufs {
		if len(x) > len(best) && s.hasSuffix(x) {
			best = x
		}
	}
	return best
}

func (s *stemmer) replace(suf, with string) {
	s.w = append(s.w[:len(s.w)-len([]rune(suf))], []rune(with)...)
}

func (s *stemmer) start(suf string) int { return len(s.w) - len([]rune(suf)) }

func (s *stemmer) hasVowelBefore(end int) bool {
	for i := 0; i < end; i++ {
		if isStemVowel(s.w[i]) {
			return true
		}
	}
	return false
}

// shortv: the word up to end ends in a short syllable.
func (s *stemmer) shortv(end int) bool {
	w := s.w[:end]
	n := len(w)
	if n >= 3 {
		c := w[n-1]
		if !isStemVowel(c) && c != 'w' && c != 'x' && c != 'Y' && isStemVowel(w[n-2]) && !isStemVowel(w[n-3]) {
			return true
		}
	}
	return n == 2 && !isStemVowel(w[1]) && isStemVowel(w[0])
}

func (s *stemmer) step1a() {
	if suf := s.longest("'", "'s", "'s'"); suf != "" {
		s.replace(suf, "")
	}
	switch suf := s.longest("sses", "ied", "ies", "s", "us", "ss"); suf {
	case "sses":
		s.replace(suf, "ss")
	case "ied", "ies":
		if s.start(suf) >= 2 {
			s.replace(suf, "i")
		} else {
			s.replace(suf, "ie")
		}
	case "s":
		// next gopast v: a vowel somewhere before the letter preceding the s.
		if st := s.start(suf); st >= 1 && s.hasVowelBefore(st-1) {
			s.replace(suf, "")
		}
	}
}

func (s *stemmer) step1b() {
	suf := s.longest("eed", "eedly", "ed", "edly", "ing", "ingly")
	switch suf {
	case "":
		return
	case "eed", "eedly":
		if s.start(suf) >= s.p1 {
			s.replace(suf, "ee")
		}
		return
	}
	if !s.hasVowelBefore(s.start(suf)) {
		return
	}
	s.replace(suf, "")
	switch s.longest("at", "bl", "iz", "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt") {
	case "at", "bl", "iz":
		s.w = append(s.w, 'e')
	case "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt":
		s.w = s.w[:len(s.w)-1]
	default:
		if len(s.w) == s.p1 && s.shortv(len(s.w)) {
			s.w = append(s.w, 'e')
		}
	}
}

func (s *stemmer) step1c() {
	n := len(s.w)
	if n < 3 || (s.w[n-1] != 'y' && s.w[n-1] != 'Y') || isStemVowel(s.w[n-2]) {
		return
	}
	s.w[n-1] = 'i'
}

var step2Map = map[string]string{
	"tional": "tion", "enci": "ence", "anci": "ance", "abli": "able", "entli": "ent",
	"izer": "ize", "ization": "ize", "ational": "ate", "ation": "ate", "ator": "ate",
	"alism": "al", "aliti": "al", "alli": "al", "fulness": "ful", "ousli": "ous",
	"ousness": "ous", "iveness": "ive", "iviti": "ive", "biliti": "ble", "bli": "ble",
	"ogi": "og", "fulli": "ful", "lessli": "less", "li": "",
}

var step2Suffixes = keys(step2Map)

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (s *stemmer) step2() {
	suf := s.longest(step2Suffixes...)
	if suf == "" || s.start(suf) < s.p1 {
		return
	}
	st := s.start(suf)
	switch suf {
	case "ogi":
		if st >= 1 && s.w[st-1] == 'l' {
			s.replace(suf, "og")
		}
	case "li":
		if st >= 1 && strings.ContainsRune("cdeghkmnrt", s.w[st-1]) {
			s.replace(suf, "")
		}
	default:
		s.replace(suf, step2Map[suf])
	}
}

var step3Map = map[string]string{
	"tional": "tion", "ational": "ate", "alize": "al", "icate": "ic", "iciti": "ic",
	"ical": "ic", "ful": "", "ness": "", "ative": "",
}

var step3Suffixes = keys(step3Map)

func (s *stemmer) step3() {
	suf := s.longest(step3Suffixes...)
	if suf == "" || s.start(suf) < s.p1 {
		return
	}
	if suf == "ative" {
		if s.start(suf) >= s.p2 {
			s.replace(suf, "")
		}
		return
	}
	s.replace(suf, step3Map[suf])
}

var step4Suffixes = []string{"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement",
	"ment", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion"}

func (s *stemmer) step4() {
	suf := s.longest(step4Suffixes...)
	if suf == "" || s.start(suf) < s.p2 {
		return
	}
	if suf == "ion" {
		st := s.start(suf)
		if st >= 1 && (s.w[st-1] == 's' || s.w[st-1] == 't') {
			s.replace(suf, "")
		}
		return
	}
	s.replace(suf, "")
}

func (s *stemmer) step5() {
	n := len(s.w)
	if n == 0 {
		return
	}
	switch s.w[n-1] {
	case 'e':
		st := n - 1
		if st >= s.p2 || (st >= s.p1 && !s.shortv(st)) {
			s.w = s.w[:n-1]
		}
	case 'l':
		st := n - 1
		if st >= s.p2 && st >= 1 && s.w[st-1] == 'l' {
			s.w = s.w[:n-1]
		}
	}
}
