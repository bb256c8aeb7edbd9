package labeler

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/internal/fixture"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// goldIU are real IU X-Ray validation reports labelled by hand, by reading
// each report (not from the labeler's output), with this package's
// documented conventions. Notation: Abbrev=1 positive, =0 negative, =-1
// uncertain; unlisted observations are blank. Abbreviations: EC, CM, LO,
// LL, ED, CO, PN, AT, PX, EF, PO, FX, SD, NF.
var goldIU = []struct{ id, labels string }{
	{"CXR2279_IM-0865", "CM=1 EC=0 LO=1 LL=0 PX=0 EF=0"},
	{"CXR667_IM-2241", "SD=1 EC=0 CM=0 AT=1 PX=0"},
	{"CXR917_IM-2419", "SD=1 CM=-1 EC=-1 LO=0 EF=0 PX=0"},
	{"CXR1170_IM-0115", "PX=0 EF=0 LO=0 CM=1 EC=0"},
	{"CXR3826_IM-1932", "CM=0 EC=0 LO=0 EF=0 PX=0 NF=1"},
	{"CXR3598_IM-1775", "CM=0 EC=-1 CO=0 EF=0 ED=0"},
	{"CXR3451_IM-1674", "CM=0 EC=-1 EF=-1"},
	{"CXR3061_IM-1427", "CM=0 EF=0 PX=0 LO=1 AT=1"},
	{"CXR3727_IM-1863", "LO=0 CM=0 SD=1 NF=1"},
	{"CXR2484_IM-1012", "SD=1 CM=0 LL=1 LO=1 CO=0 EF=0"},
	{"CXR388_IM-1968", "CM=1 EC=-1 CO=0 EF=0 PX=0"},
	{"CXR2998_IM-1382", "LO=0 CO=0 PX=0 EF=0 EC=0 CM=0 FX=0 NF=1"},
	{"CXR3525_IM-1722", "CM=0 PX=0 EF=0 LO=0 NF=1"},
	{"CXR85_IM-2372", "LO=0 EF=0 PX=0 CM=0 EC=0 NF=1"},
	{"CXR1947_IM-0616", "CM=0 EC=-1 CO=0 EF=0 LL=1 ED=0 PX=0"},
	{"CXR3058_IM-1425", "LO=1 CM=0 EF=0 PX=0"},
	{"CXR1055_IM-0040", "CM=0 LO=0 PX=0 EF=0 NF=1"},
	{"CXR2320_IM-0894", "EC=0 CM=0 PX=0 PN=0 EF=0 NF=1"},
	{"CXR4_IM-2050", "LO=1 LL=-1 EC=0 CM=0 PX=0 EF=0"},
	{"CXR1886_IM-0574", "CM=0 EC=0 CO=0 PX=0 EF=0 NF=1"},
	{"CXR3074_IM-1435", "LO=1 PN=-1 EF=0 PX=0 CM=0 EC=0"},
	{"CXR2398_IM-0947", "CM=1 PX=0 EF=0 LO=0"},
	{"CXR372_IM-1858-0001", "LO=1 EF=-1 CM=0 SD=1"},
	{"CXR3526_IM-1723", "CM=0 CO=0 EF=0 PX=0 SD=1 NF=1"},
	{"CXR2222_IM-0826", "LO=1 CO=0 EF=0 PX=0 EC=0 CM=0"},
	{"CXR197_IM-0631", "EC=0 CM=0 LO=0 EF=0 PX=0 NF=1"},
	{"CXR1991_IM-0648", "CM=0 EC=-1 LO=1 AT=-1 EF=0"},
	{"CXR3944_IM-2014", "SD=1 LO=0 EF=0 CM=0 EC=0 NF=1"},
	{"CXR2499_IM-1023", "LO=1 SD=1 PX=0 CM=1"},
	{"CXR631_IM-2212", "CM=0 EC=0 SD=1 PX=0 LO=1 AT=1"},
	{"CXR1687_IM-0450", "SD=1 CO=0 CM=0 EF=0 NF=1"},
	{"CXR3851_IM-1948", "PX=0 EF=0 LO=0 LL=1 CM=0"},
	{"CXR1878_IM-0569", "CM=0 EF=0 PX=0 NF=1"},
	{"CXR289_IM-1292-0001", "CM=0 EC=-1 SD=1 CO=0 EF=0 ED=0"},
	{"CXR2286_IM-0871", "LO=1 CM=0 EF=0 PX=0"},
	{"CXR201_IM-0660", "EC=0 CM=0 LO=1 AT=1 PX=0 EF=0"},
	{"CXR3150_IM-1482", "EC=0 CM=0 LO=1 AT=1 PX=0"},
	{"CXR3634_IM-1801", "EC=-1 LO=0 EF=0 PX=0"},
	{"CXR2882_IM-1286", "CO=0 LO=0 CM=1 EF=0 PX=0"},
	{"CXR1776_IM-0508", "CM=-1 EC=-1 CO=0 EF=0 PX=0 FX=0"},
	{"CXR2904_IM-1308", "EC=-1 CM=-1 CO=0 EF=0 ED=0 FX=1"},
	{"CXR1829_IM-0537", "CM=0 EC=0 SD=0 PX=0 EF=1"},
	{"CXR1139_IM-0095", "CM=1 EC=0 LO=1 PX=0 EF=0"},
}

var abbrev = map[string]int{"EC": 0, "CM": 1, "LO": 2, "LL": 3, "ED": 4, "CO": 5, "PN": 6, "AT": 7,
	"PX": 8, "EF": 9, "PO": 10, "FX": 11, "SD": 12, "NF": 13}

func parseGold(t *testing.T, s string) chexpert.Labels {
	t.Helper()
	var l chexpert.Labels
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		i, ok := abbrev[k]
		if !ok {
			t.Fatalf("bad gold key %q", k)
		}
		switch v {
		case "1":
			l[i] = chexpert.Positive
		case "0":
			l[i] = chexpert.Negative
		case "-1":
			l[i] = chexpert.Uncertain
		default:
			t.Fatalf("bad gold value %q", kv)
		}
	}
	return l
}

// sharedDir returns shared/ with the real IU X-Ray reports (see fixture.Shared).
func sharedDir(t testing.TB) string {
	t.Helper()
	return fixture.Shared(t, "data/iu_xray/annotation.json")
}

func iuReports(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "data", "iu_xray", "annotation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d map[string][]struct{ ID, Report string }
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, split := range d {
		for _, ex := range split {
			out[ex.ID] = ex.Report
		}
	}
	return out
}

func TestLabelMatchesHandLabelledIUReports(t *testing.T) {
	reports := iuReports(t)
	wrong, cells := 0, 0
	for _, g := range goldIU {
		rep, ok := reports[g.id]
		if !ok {
			t.Errorf("%s not in annotation.json", g.id)
			continue
		}
		want := parseGold(t, g.labels)
		got := Label(rep)
		for i := range want {
			cells++
			if got[i] != want[i] {
				wrong++
				t.Errorf("%s %s: got %v, want %v\n  report: %s", g.id, chexpert.Observations[i], got[i], want[i], rep)
			}
		}
	}
	if len(goldIU) < 40 {
		t.Errorf("only %d gold reports", len(goldIU))
	}
	t.Logf("%d of %d gold cells differ", wrong, cells)
}
