package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type meteorExpect struct {
	Score    float64
	Segments map[string]float64
}

func loadMeteorExpected(t *testing.T) map[string]map[string]meteorExpect {
	t.Helper()
	b, err := os.ReadFile("testdata/meteor_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]meteorExpect{}
	for _, cfg := range []string{"stem", "synonym", "jar_wordnet"} {
		var m map[string]meteorExpect
		if err := json.Unmarshal(f[cfg], &m); err != nil {
			t.Fatal(err)
		}
		out[cfg] = m
	}
	return out
}

// meteorInputs returns the gts/res of every oracle case that needs no
// cleaner: edge cases, the synonym cases and (when present) shared files.
func meteorInputs(t *testing.T, withShared bool) map[string]caseFile {
	t.Helper()
	in := map[string]caseFile{}
	b, err := os.ReadFile("testdata/coco_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cc struct {
		Cases []struct {
			Name     string
			Gts, Res map[string][]string
		}
	}
	if err := json.Unmarshal(b, &cc); err != nil {
		t.Fatal(err)
	}
	for _, c := range cc.Cases {
		in["case:"+c.Name] = caseFile{c.Gts, c.Res}
	}
	b, err = os.ReadFile("testdata/meteor_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var mc map[string]caseFile
	if err := json.Unmarshal(b, &mc); err != nil {
		t.Fatal(err)
	}
	for k, c := range mc {
		in["case:"+k] = c
	}
	if withShared {
		shared := sharedDir(t)
		files, _ := filepath.Glob(filepath.Join(shared, "eval", "*.json"))
		more, _ := filepath.Glob(filepath.Join(shared, "eval", "meteor", "*.json"))
		for _, f := range files {
			in[filepath.Base(f)] = readCase(t, f)
		}
		for _, f := range more {
			in["meteor/"+filepath.Base(f)] = readCase(t, f)
		}
	}
	return in
}

func checkMeteor(t *testing.T, cfg string, want map[string]meteorExpect, in map[string]caseFile, opt MeteorOptions) int {
	t.Helper()
	n := 0
	for name, w := range want {
		c, ok := in[name]
		if !ok {
			continue
		}
		n++
		got, err := MeteorWith(c.Gts, c.Res, opt)
		if err != nil {
			t.Errorf("%s %s: %v", cfg, name, err)
			continue
		}
		if math.Abs(got-w.Score) > 1e-9 {
			t.Errorf("%s %s: METEOR = %.12f, Meteor 1.5 %.12f", cfg, name, got, w.Score)
		}
		if w.Segments != nil {
			segs, _ := MeteorSegments(c.Gts, c.Res, opt)
			for id, ws := range w.Segments {
				if math.Abs(segs[id]-ws) > 1e-9 {
					t.Errorf("%s %s id %s: segment METEOR = %.12f, Meteor 1.5 %.12f", cfg, name, id, segs[id], ws)
				}
			}
		}
	}
	return n
}

func TestMeteorMatchesMeteor15OnCases(t *testing.T) {
	want := loadMeteorExpected(t)
	in := meteorInputs(t, false)
	if n := checkMeteor(t, "stem", want["stem"], in, MeteorOptions{NoWordNet: true}); n < 300 {
		t.Errorf("only %d exact+stem cases checked", n)
	}
	syn := loadSmallSynonyms(t)
	if n := checkMeteor(t, "synonym", want["synonym"], in, MeteorOptions{Synonyms: syn}); n < 12 {
		t.Errorf("only %d synonym cases checked", n)
	}
}

func TestMeteorMatchesMeteor15OnSharedFiles(t *testing.T) {
	want := loadMeteorExpected(t)
	in := meteorInputs(t, true)
	for k := range in {
		if strings.HasPrefix(k, "case:") {
			delete(in, k)
		}
	}
	if n := checkMeteor(t, "stem", want["stem"], in, MeteorOptions{NoWordNet: true}); n < 12 {
		t.Errorf("only %d shared files checked", n)
	}
	syn := loadSmallSynonyms(t)
	checkMeteor(t, "synonym", want["synonym"], in, MeteorOptions{Synonyms: syn})
}

func loadSmallSynonyms(t *testing.T) *Synonyms {
	t.Helper()
	f, err := os.Open("testdata/synonyms_small.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := LoadSynonyms(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMeteorPerfectAndEmpty(t *testing.T) {
	tests := []struct {
		name     string
		ref, hyp string
		want     float64
	}{
		{"identical", "the heart is normal .", "the heart is normal .", 1 - 0.6*math.Pow(1.0/5, 0.2)*0},
		{"empty hypothesis", "the heart is normal .", "", 0},
		{"nothing in common", "heart", "lung", 0},
	}
	for _, tc := range tests {
		got, err := Meteor(map[string][]string{"1": {tc.ref}}, map[string][]string{"1": {tc.hyp}})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: METEOR = %v, want %v", tc.name, got, tc.want)
		}
	}
}
