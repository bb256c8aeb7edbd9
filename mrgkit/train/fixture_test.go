package train

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// makeFixture writes a small R2Gen-layout dataset whose report depends on
// the image: a bright square means "the heart is enlarged".
func makeFixture(t testing.TB, dir string, nTrain, nVal, nTest, px int) {
	t.Helper()
	rng := rand.New(rand.NewSource(7))
	type entry struct {
		ID     string   `json:"id"`
		Report string   `json:"report"`
		Paths  []string `json:"image_path"`
		Split  string   `json:"split"`
	}
	ann := map[string][]entry{}
	i := 0
	for _, sp := range []struct {
		name string
		n    int
	}{{"train", nTrain}, {"val", nVal}, {"test", nTest}} {
		for j := 0; j < sp.n; j++ {
			id := fmt.Sprintf("s%03d", i)
			i++
			sick := rng.Intn(2) == 1
			report := "The heart is normal in size. The lungs are clear. No pneumothorax."
			if sick {
				report = "The heart is enlarged. The lungs are clear. No pneumothorax."
			}
			var paths []string
			for v := 0; v < 2; v++ {
				img := image.NewGray(image.Rect(0, 0, px, px))
				for y := 0; y < px; y++ {
					for x := 0; x < px; x++ {
						g := uint8(40 + rng.Intn(30))
						if sick && x > px/3 && x < 2*px/3 && y > px/3 && y < 2*px/3 {
							g = 220
						}
						img.SetGray(x, y, color.Gray{Y: g})
					}
				}
				p := filepath.Join(id, fmt.Sprintf("%d.png", v))
				if err := os.MkdirAll(filepath.Join(dir, "images", id), 0o755); err != nil {
					t.Fatal(err)
				}
				f, err := os.Create(filepath.Join(dir, "images", p))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
				f.Close()
				paths = append(paths, p)
			}
			ann[sp.name] = append(ann[sp.name], entry{id, report, paths, sp.name})
		}
	}
	b, _ := json.Marshal(ann)
	if err := os.WriteFile(filepath.Join(dir, "annotation.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
