package metrics

import (
	"strings"
	"testing"
)

func TestScoreKeysAndErrors(t *testing.T) {
	gts := map[string][]string{"a": {"the heart is normal ."}, "b": {"no effusion ."}}
	res := map[string][]string{"a": {"the heart is normal ."}, "b": {"small effusion ."}}
	s, err := Score(gts, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 7 {
		t.Errorf("Score returned %d keys, want 7: %v", len(s), s)
	}
	for _, k := range ScoreKeys {
		if _, ok := s[k]; !ok {
			t.Errorf("Score lacks %s", k)
		}
	}
	bad := []struct {
		name     string
		gts, res map[string][]string
		wantErr  string
	}{
		{"missing hypothesis", gts, map[string][]string{"a": {"x"}}, `"b"`},
		{"extra hypothesis", map[string][]string{"a": {"x"}}, map[string][]string{"a": {"x"}, "c": {"y"}}, `"c"`},
		{"two hypotheses", map[string][]string{"a": {"x"}}, map[string][]string{"a": {"x", "y"}}, "exactly 1"},
		{"no references", map[string][]string{"a": {}}, map[string][]string{"a": {"x"}}, "no reference"},
		{"empty", map[string][]string{}, map[string][]string{}, "nothing to score"},
	}
	for _, tc := range bad {
		_, err := Score(tc.gts, tc.res)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want it to mention %s", tc.name, err, tc.wantErr)
		}
	}
}

func TestBleuPerfectMatchIsNotOne(t *testing.T) {
	gts := map[string][]string{"1": {"a b c d e"}}
	b, err := Bleu(gts, gts, 4)
	if err != nil {
		t.Fatal(err)
	}
	// coco's smoothing: (5+1e-15)/(5+1e-9) etc., just below 1.
	if b[0] >= 1 || b[0] < 1-1e-9 {
		t.Errorf("BLEU_1 of a perfect match = %.17g, want just below 1", b[0])
	}
}
