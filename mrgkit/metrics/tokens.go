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

// vocab interns tokens to small integers.
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

// ngramTable interns n-grams of word ids to dense int32 ids: an n-gram's
// key is its (n-1)-gram prefix id and its last word. Dense ids let the
// scorers count with slices instead of maps.
type ngramTable struct {
	ids   map[uint64]int32
	order []int8 // n of each n-gram id
	// scratch, indexed by n-gram id, all zero between calls
	slot []int32
}

func newNgramTable() *ngramTable { return &ngramTable{ids: map[uint64]int32{}} }

func (t *ngramTable) intern(prefix int32, word int32, n int) int32 {
	key := uint64(uint32(prefix+1))<<32 | uint64(uint32(word))
	id, ok := t.ids[key]
	if !ok {
		id = int32(len(t.order))
		t.ids[key] = id
		t.order = append(t.order, int8(n))
	}
	return id
}

// ngramCounts holds n-gram counts in first-occurrence order (orders 1..n,
// positions left to right), the iteration order of the reference code's
// dicts, so floating-point sums over them are deterministic and match its
// order.
type ngramCounts struct {
	keys   []int32
	counts []int
}

// count counts the n-grams of orders 1..n of a token sequence.
func (t *ngramTable) count(ids []int32, n int) *ngramCounts {
	c := &ngramCounts{}
	// prev[i] is the id of the (k-1)-gram starting at i.
	prev := make([]int32, len(ids))
	for i := range prev {
		prev[i] = -1
	}
	for k := 1; k <= n; k++ {
		for i := 0; i+k <= len(ids); i++ {
			g := t.intern(prev[i], ids[i+k-1], k)
			prev[i] = g
			if int(g) >= len(t.slot) {
				t.slot = append(t.slot, make([]int32, int(g)+1-len(t.slot)+len(t.slot))...)
			}
			if s := t.slot[g]; s > 0 {
				c.counts[s-1]++
				continue
			}
			c.keys = append(c.keys, g)
			c.counts = append(c.counts, 1)
			t.slot[g] = int32(len(c.keys))
		}
	}
	for _, g := range c.keys {
		t.slot[g] = 0
	}
	return c
}
