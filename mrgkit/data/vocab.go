package data

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Unk is the unknown-word token; R2Gen adds it to every vocabulary.
const Unk = "<unk>"

// Vocab is R2Gen's word vocabulary: the words of the cleaned training reports
// seen at least threshold times plus <unk>, sorted, with ids from 1. Id 0 is
// padding and the start/end marker.
type Vocab struct {
	words []string         // words[id-1]
	ids   map[string]int32 // word -> id
}

// BuildVocab builds the vocabulary from cleaned training reports, tokenized
// like R2Gen (Python's str.split(): runs of whitespace separate words).
func BuildVocab(cleanedTrainReports []string, threshold int) *Vocab {
	counts := map[string]int{}
	for _, r := range cleanedTrainReports {
		for _, w := range PyFields(r) {
			counts[w]++
		}
	}
	words := []string{Unk}
	for w, c := range counts {
		if c >= threshold && w != Unk {
			words = append(words, w)
		}
	}
	return newVocab(words)
}

// With returns the vocabulary with the given words added (those it lacks),
// ids re-sorted as BuildVocab sorts them.
func (v *Vocab) With(extra ...string) *Vocab {
	words := append([]string(nil), v.words...)
	for _, w := range extra {
		if !v.Has(w) {
			words = append(words, w)
		}
	}
	return newVocab(words)
}

func newVocab(words []string) *Vocab {
	sort.Strings(words) // byte order of UTF-8 = Python's code-point order
	v := &Vocab{words: words, ids: make(map[string]int32, len(words))}
	for i, w := range words {
		v.ids[w] = int32(i + 1)
	}
	return v
}

// Size is the number of words including <unk> (R2Gen's get_vocab_size()).
// Valid word ids are 1..Size(); a model's output layer needs Size()+1 classes.
func (v *Vocab) Size() int { return len(v.words) }

// Words returns the words in id order (id = index+1).
func (v *Vocab) Words() []string { return append([]string(nil), v.words...) }

// ID returns a word's id, or <unk>'s id when the word is not in the vocabulary.
func (v *Vocab) ID(word string) int32 {
	if id, ok := v.ids[word]; ok {
		return id
	}
	return v.ids[Unk]
}

// Has reports whether word is in the vocabulary.
func (v *Vocab) Has(word string) bool {
	_, ok := v.ids[word]
	return ok
}

// Word returns the word of an id, "" for 0 and out-of-range ids.
func (v *Vocab) Word(id int32) string {
	if id < 1 || int(id) > len(v.words) {
		return ""
	}
	return v.words[id-1]
}

// Encode tokenizes a cleaned report like R2Gen and returns its word ids
// (no start/end zeros).
func (v *Vocab) Encode(cleaned string) []int32 {
	fields := PyFields(cleaned)
	ids := make([]int32, len(fields))
	for i, w := range fields {
		ids[i] = v.ID(w)
	}
	return ids
}

// Decode joins the words of ids with single spaces, stopping at the first 0
// (R2Gen's decode). Out-of-range ids decode as <unk>.
//
// Content-plan words (chexpert.IsPlanWord, report_order=planned) are not
// part of the report and are left out.
func (v *Vocab) Decode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		if id == 0 {
			break
		}
		w := v.Word(id)
		if w == "" {
			w = Unk
		}
		if chexpert.IsPlanWord(w) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

type vocabJSON struct {
	Size  int      `json:"size"`
	Words []string `json:"words"` // id = index+1
}

// MarshalJSON writes {"size": N, "words": [...]} with words in id order.
func (v *Vocab) MarshalJSON() ([]byte, error) {
	return json.Marshal(vocabJSON{Size: v.Size(), Words: v.words})
}

// Save writes the vocabulary as JSON, atomically.
func (v *Vocab) Save(path string) error {
	b, err := json.MarshalIndent(vocabJSON{Size: v.Size(), Words: v.words}, "", " ")
	if err != nil {
		return errors.Wrap(err, "encoding vocabulary")
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// LoadVocab reads a vocabulary written by Save.
func LoadVocab(path string) (*Vocab, error) {
	b, err := readRegular(path, 256<<20, "vocabulary")
	if err != nil {
		return nil, err
	}
	var j vocabJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, errors.Errorf("%s: malformed vocabulary JSON: %v", path, err)
	}
	if len(j.Words) == 0 || j.Size != len(j.Words) {
		return nil, errors.Errorf("%s: vocabulary has %d words but says size %d", path, len(j.Words), j.Size)
	}
	seen := map[string]bool{}
	hasUnk := false
	for i, w := range j.Words {
		if w == "" || seen[w] || (i > 0 && w < j.Words[i-1]) {
			return nil, errors.Errorf("%s: word %d %q is empty, duplicated or out of order", path, i+1, w)
		}
		seen[w] = true
		hasUnk = hasUnk || w == Unk
	}
	if !hasUnk {
		return nil, errors.Errorf("%s: vocabulary lacks %s", path, Unk)
	}
	return newVocab(j.Words), nil
}
