package toycxr

import "testing"

func BenchmarkGenerateStudy(b *testing.B) {
	cfg := DefaultConfig()
	i := 0
	for b.Loop() {
		GenerateStudy(cfg, i)
		i++
	}
}
