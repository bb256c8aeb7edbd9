package metrics

import (
	"strings"
	"unicode/utf8"
)

// isPySpace reports whether r is whitespace for Python 3's str.split():
// Go's unicode.IsSpace set plus the four information separators U+001C..U+001F.
func isPySpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// pySplit splits s like Python's s.split(): runs of whitespace separate
// tokens and no empty tokens are returned.
func pySplit(s string) []string {
	var out []string
	start := -1
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isPySpace(r) {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// spaceSplit splits like Python's s.split(" "): every single space separates,
// empty tokens are kept, and the result has at least one element.
func spaceSplit(s string) []string { return strings.Split(s, " ") }

// maxOrder is the largest n-gram order the BLEU and CIDEr scorers support.
const maxOrder = 8

// ngram is an n-gram of interned token ids; n is its order.
type ngram struct {
	n int8
	w [maxOrder]int32
}

// vocab interns tokens to small integers so n-grams are cheap map keys.
type vocab map[string]int32

func (v vocab) ids(words []string) []int32 {
	out := make([]int32, len(words))
	for i, w := range words {
		id, ok := v[w]
		if !ok {
			id = int32(len(v))
			v[w] = id
		}
		out[i] = id
	}
	return out
}

// ngramCounts holds n-gram counts in first-occurrence order (orders 1..n,
// positions left to right), the iteration order of the reference code's dicts,
// so floating-point sums over them are deterministic and match its order.
type ngramCounts struct {
	keys   []ngram
	counts []int
	index  map[ngram]int
}

func (c *ngramCounts) get(g ngram) int {
	if i, ok := c.index[g]; ok {
		return c.counts[i]
	}
	return 0
}

// countNgrams counts the n-grams of orders 1..n of a token sequence.
func countNgrams(ids []int32, n int) *ngramCounts {
	c := &ngramCounts{index: make(map[ngram]int, len(ids)*n)}
	for k := 1; k <= n; k++ {
		for i := 0; i+k <= len(ids); i++ {
			g := ngram{n: int8(k)}
			copy(g.w[:k], ids[i:i+k])
			if j, ok := c.index[g]; ok {
				c.counts[j]++
				continue
			}
			c.index[g] = len(c.keys)
			c.keys = append(c.keys, g)
			c.counts = append(c.counts, 1)
		}
	}
	return c
}
