package data

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBuildVocab(t *testing.T) {
	reports := []string{"the heart is normal .", "the lungs are clear .", "the heart  is big .", "zebra ."}
	tests := []struct {
		threshold int
		want      []string
	}{
		{1, []string{".", "<unk>", "are", "big", "clear", "heart", "is", "lungs", "normal", "the", "zebra"}},
		{2, []string{".", "<unk>", "heart", "is", "the"}},
		{4, []string{".", "<unk>"}},
		{5, []string{"<unk>"}},
	}
	for _, tc := range tests {
		v := BuildVocab(reports, tc.threshold)
		if got := v.Words(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("threshold %d: words %q, want %q", tc.threshold, got, tc.want)
		}
		if v.Size() != len(tc.want) {
			t.Errorf("threshold %d: Size %d, want %d", tc.threshold, v.Size(), len(tc.want))
		}
	}
	v := BuildVocab(reports, 2)
	for _, tc := range []struct {
		word string
		id   int32
	}{{".", 1}, {"<unk>", 2}, {"heart", 3}, {"is", 4}, {"the", 5}, {"zebra", 2}, {"", 2}} {
		if got := v.ID(tc.word); got != tc.id {
			t.Errorf("ID(%q) = %d, want %d", tc.word, got, tc.id)
		}
	}
	if got := v.Encode("the heart\tis  green ."); !reflect.DeepEqual(got, []int32{5, 3, 4, 2, 1}) {
		t.Errorf("Encode = %v", got)
	}
	for _, tc := range []struct {
		ids  []int32
		want string
	}{
		{[]int32{5, 3, 4, 1}, "the heart is ."},
		{[]int32{5, 3, 0, 4, 1}, "the heart"},
		{[]int32{0, 5}, ""},
		{nil, ""},
		{[]int32{5, 99, -3}, "the <unk> <unk>"},
	} {
		if got := v.Decode(tc.ids); got != tc.want {
			t.Errorf("Decode(%v) = %q, want %q", tc.ids, got, tc.want)
		}
	}
	if v.Word(0) != "" || v.Word(6) != "" || v.Word(5) != "the" {
		t.Errorf("Word out of range handling wrong")
	}
}

func TestVocabSaveLoad(t *testing.T) {
	dir := t.TempDir()
	v := BuildVocab([]string{"b a c .", "a b ."}, 1)
	p := filepath.Join(dir, "vocab.json")
	if err := v.Save(p); err != nil {
		t.Fatal(err)
	}
	w, err := LoadVocab(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.Words(), []string{".", "<unk>", "a", "b", "c"}) {
		t.Errorf("loaded words %q", w.Words())
	}
	bad := map[string]string{
		"malformed": `{"size": 2, "words": [`,
		"size":      `{"size": 3, "words": ["<unk>", "a"]}`,
		"order":     `{"size": 3, "words": ["b", "<unk>", "a"]}`,
		"no unk":    `{"size": 1, "words": ["a"]}`,
		"dup":       `{"size": 3, "words": ["<unk>", "a", "a"]}`,
	}
	for name, text := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadVocab(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: LoadVocab error %v does not name the file", name, err)
		}
	}
	if _, err := LoadVocab(filepath.Join(dir, "absent.json")); err == nil {
		t.Error("LoadVocab of a missing file succeeded")
	}
}

func FuzzEncodeDecode(f *testing.F) {
	v := BuildVocab([]string{"the heart is normal .", "no pleural effusion or pneumothorax .", "ünïcode σ ."}, 1)
	f.Add("the heart is normal .")
	f.Add("  the\theart  zebra ")
	f.Add("ünïcode σ . \xff")
	f.Fuzz(func(t *testing.T, s string) {
		ids := v.Encode(s)
		words := PyFields(s)
		if len(ids) != len(words) {
			t.Fatalf("Encode(%q) gave %d ids for %d words", s, len(ids), len(words))
		}
		allKnown := true
		for i, id := range ids {
			if id < 1 || int(id) > v.Size() {
				t.Fatalf("Encode(%q) id %d out of 1..%d", s, id, v.Size())
			}
			if v.Has(words[i]) {
				if v.Word(id) != words[i] {
					t.Fatalf("word %q encoded as %d = %q", words[i], id, v.Word(id))
				}
			} else {
				allKnown = false
				if v.Word(id) != Unk {
					t.Fatalf("unknown word %q encoded as %q", words[i], v.Word(id))
				}
			}
		}
		dec := v.Decode(ids)
		if allKnown && dec != strings.Join(words, " ") {
			t.Fatalf("Decode(Encode(%q)) = %q", s, dec)
		}
		if again := v.Encode(dec); !reflect.DeepEqual(again, ids) && len(ids) > 0 {
			t.Fatalf("Encode(Decode(ids)) = %v, want %v", again, ids)
		}
	})
}

// Plan words (report_order=planned) get ids like any word, sorted with the
// others, and are dropped when ids become text.
func TestVocabPlanWords(t *testing.T) {
	v := BuildVocab([]string{"the heart is enlarged .", "no effusion ."}, 1)
	p := v.With("<plan1>", "<plan>", "heart")
	if p.Size() != v.Size()+2 {
		t.Fatalf("With added %d words, want 2", p.Size()-v.Size())
	}
	// "." < "<plan1>" < "<plan>" < "<unk>" in byte order: ids 1, 2, 3, 4.
	if p.ID(".") != 1 || p.ID("<plan1>") != 2 || p.ID("<plan>") != 3 || p.ID(Unk) != 4 {
		t.Errorf("ids: . %d, <plan1> %d, <plan> %d, <unk> %d; want 1, 2, 3, 4", p.ID("."), p.ID("<plan1>"), p.ID("<plan>"), p.ID(Unk))
	}
	ids := p.Encode("<plan1> the heart is enlarged . <plan> no effusion .")
	if got, want := p.Decode(ids), "the heart is enlarged . no effusion ."; got != want {
		t.Errorf("Decode = %q, want %q", got, want)
	}
}
