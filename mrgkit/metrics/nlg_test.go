package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expected holds pycocoevalcap's numbers (testdata/gen/coco_oracle.py);
// a nil CIDEr means the reference scorer raised (no reference n-grams).
type expected struct {
	B1, B2, B3, B4 float64
	RougeL         float64  `json:"ROUGE_L"`
	Cider          *float64 `json:"CIDEr"`
}

func (e *expected) UnmarshalJSON(b []byte) error {
	var m map[string]*float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	e.B1, e.B2, e.B3, e.B4, e.RougeL = *m["BLEU_1"], *m["BLEU_2"], *m["BLEU_3"], *m["BLEU_4"], *m["ROUGE_L"]
	e.Cider = m["CIDEr"]
	return nil
}

const cocoTol = 1e-9

func checkAgainstCoco(t *testing.T, name string, gts, res map[string][]string, want expected) {
	t.Helper()
	b, err := Bleu(gts, res, 4)
	if err != nil {
		t.Fatalf("%s: Bleu: %v", name, err)
	}
	for k, w := range []float64{want.B1, want.B2, want.B3, want.B4} {
		if math.Abs(b[k]-w) > cocoTol {
			t.Errorf("%s: BLEU_%d = %.17g, coco %.17g", name, k+1, b[k], w)
		}
	}
	r, err := RougeL(gts, res)
	if err != nil {
		t.Fatalf("%s: RougeL: %v", name, err)
	}
	if math.Abs(r-want.RougeL) > cocoTol {
		t.Errorf("%s: ROUGE_L = %.17g, coco %.17g", name, r, want.RougeL)
	}
	c, err := CiderD(gts, res)
	if err != nil {
		t.Fatalf("%s: CiderD: %v", name, err)
	}
	wc := 0.0 // where coco raises, CiderD documents 0
	if want.Cider != nil {
		wc = *want.Cider
	}
	if math.Abs(c-wc) > cocoTol {
		t.Errorf("%s: CIDEr = %.17g, coco %.17g", name, c, wc)
	}
}

func TestNLGMatchesCocoOnEdgeCases(t *testing.T) {
	b, err := os.ReadFile("testdata/coco_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name     string
			Gts, Res map[string][]string
			Expected expected
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 300 {
		t.Fatalf("only %d cases in testdata/coco_cases.json", len(f.Cases))
	}
	for _, c := range f.Cases {
		checkAgainstCoco(t, c.Name, c.Gts, c.Res, c.Expected)
	}
}

// Cleaners maps a -clean name to the R2Gen cleaner; the CLI sets the same.
// Tests of cleaned files run only where a cleaner is available.
func TestNLGMatchesCocoOnSharedFiles(t *testing.T) {
	shared := sharedDir(t)
	b, err := os.ReadFile("testdata/coco_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Files map[string]expected }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for key, want := range f.Files {
		if strings.Contains(key, ":clean=") {
			continue // covered by the CLI's tests, which own the cleaner
		}
		c := readCase(t, filepath.Join(shared, "eval", key))
		checkAgainstCoco(t, key, c.Gts, c.Res, want)
		n++
	}
	if n < 7 {
		t.Errorf("only %d shared files checked, want 7", n)
	}
}
