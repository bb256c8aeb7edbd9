package data_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/data"
	"github.com/mrgkit/mrgkit/mrgkit/toycxr"
)

// benchmarkLoader measures training-epoch throughput on a toycxr set of
// 128 studies (two views) at the given image size; crop = 7/8 of it.
func benchmarkLoader(b *testing.B, size int) {
	dir := b.TempDir()
	cfg := toycxr.SmallConfig()
	cfg.Train, cfg.Val, cfg.Test, cfg.Size = 128, 0, 0, size
	if err := toycxr.Generate(dir, cfg, nil); err != nil {
		b.Fatal(err)
	}
	ann, err := data.LoadAnnotation(data.AnnotationPath(dir))
	if err != nil {
		b.Fatal(err)
	}
	var cleaned []string
	for _, e := range ann.Train {
		cleaned = append(cleaned, data.CleanIU(e.Report))
	}
	vocab := data.BuildVocab(cleaned, 3)
	for _, cache := range []bool{false, true} {
		b.Run(fmt.Sprintf("cache=%v", cache), func(b *testing.B) {
			l, err := data.NewLoader(ann.Train, filepath.Join(dir, "images"), vocab, data.CleanIU, data.LoaderConfig{
				BatchSize: 16, MaxLen: 60, Views: 2, Shuffle: true, Cache: cache,
				Transform: data.Transform{Resize: size, Crop: size * 7 / 8, Train: true, RotateDeg: 5, Channels: 3}})
			if err != nil {
				b.Fatal(err)
			}
			if cache {
				if err := l.Preload(); err != nil {
					b.Fatal(err)
				}
			}
			batches := 0
			epoch := 0
			for b.Loop() {
				for _, err := range l.Epoch(epoch) {
					if err != nil {
						b.Fatal(err)
					}
					batches++
				}
				epoch++
			}
			b.ReportMetric(float64(batches)/b.Elapsed().Seconds(), "batches/s")
			b.ReportMetric(float64(batches*16)/b.Elapsed().Seconds(), "studies/s")
		})
	}
}

func BenchmarkLoader64(b *testing.B)  { benchmarkLoader(b, 64) }
func BenchmarkLoader128(b *testing.B) { benchmarkLoader(b, 128) }
