package metrics

import (
	"encoding/json"
	"os"
	"testing"
)

// TestStemMatchesSnowball compares Stem with the stems Meteor 1.5's Java
// Snowball stemmer produced (testdata/gen/stem_oracle.py).
func TestStemMatchesSnowball(t *testing.T) {
	b, err := os.ReadFile("testdata/stems.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) < 1000 {
		t.Fatalf("only %d stems in testdata/stems.json", len(want))
	}
	bad := 0
	for w, s := range want {
		if got := Stem(w); got != s {
			if bad++; bad <= 30 {
				t.Errorf("Stem(%q) = %q, Snowball %q", w, got, s)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d stems differ", bad, len(want))
	}
}
