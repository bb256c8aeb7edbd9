package metrics

import (
	"path/filepath"
	"testing"
)

// The 590-report R2Gen-split test file (raw reports, another study's report
// as hypothesis).
func benchCase(b *testing.B) caseFile {
	return readCase(b, filepath.Join(sharedDir(b), "eval", "iu_shuffled_test.json"))
}

func BenchmarkScoreNLG590(b *testing.B) {
	c := benchCase(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ScoreNLG(c.Gts, c.Res); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeteor590(b *testing.B) {
	c := benchCase(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Meteor(c.Gts, c.Res); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScore590(b *testing.B) {
	c := benchCase(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Score(c.Gts, c.Res); err != nil {
			b.Fatal(err)
		}
	}
}
