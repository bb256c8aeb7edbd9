package labeler

import (
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
	"github.com/mrgkit/mrgkit/mrgkit/toycxr"
)

// TestLabelAgreesWithSyntheticReports labels reports of the synthetic
// generator, whose labels are exactly what its sentences state.
func TestLabelAgreesWithSyntheticReports(t *testing.T) {
	cfg := toycxr.SmallConfig()
	cfg.Size = 32
	cfg.Views = 1
	cfg.Train, cfg.Val, cfg.Test = 300, 0, 0
	wrong, cells, shown, convention := 0, 0, 0, 0
	for i := 0; i < cfg.Train; i++ {
		st := toycxr.GenerateStudy(cfg, i)
		want := *st.Entry.Labels
		got := Label(st.Entry.Report)
		for o := range want {
			cells++
			if got[o] != want[o] {
				// Documented convention: "lungs are clear" is Lung Opacity
				// negative here; the generator leaves it blank.
				if o == chexpert.LungOpacity && got[o] == chexpert.Negative && want[o] == chexpert.Blank {
					convention++
					continue
				}
				wrong++
				if shown++; shown <= 25 {
					t.Logf("%s %s: labeler %v, generator %v\n  %s", st.Entry.ID, chexpert.Observations[o], got[o], want[o], st.Entry.Report)
				}
			}
		}
	}
	t.Logf("%d of %d cells differ (%.2f%%), %d more by the clear-lungs convention", wrong, cells, 100*float64(wrong)/float64(cells), convention)
	if float64(wrong) > 0.01*float64(cells) {
		t.Errorf("labeler disagrees with the generator on %d of %d cells (> 1%%)", wrong, cells)
	}
}
