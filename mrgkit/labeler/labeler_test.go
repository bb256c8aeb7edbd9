package labeler

import (
	"strings"
	"syscall"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

func TestLabelPhrases(t *testing.T) {
	tests := []struct {
		report string
		want   string // gold notation of gold_test.go; unlisted = blank
	}{
		// Synthetic-generator phrasing.
		{"The heart is enlarged.", "CM=1"},
		{"There is a small left pleural effusion.", "EF=1"},
		{"Cannot exclude pneumonia.", "PN=-1"},
		{"No pneumothorax.", "PX=0 NF=1"},
		{"Right-sided PICC line with tip in the SVC.", "SD=1 NF=1"},
		{"Mild pulmonary edema.", "ED=1"},
		{"There is a 1.5 cm nodule in the right upper lobe.", "LL=1"},
		{"Large mass in the left hilum.", "LL=1"},
		{"Subsegmental atelectasis at the left base.", "AT=1"},
		{"Fracture of the right 6th rib.", "FX=1"},
		{"Widened mediastinum.", "EC=1"},
		// Conventions.
		{"Heart size is normal.", "CM=0 NF=1"},
		{"Normal cardiomediastinal silhouette.", "EC=0 CM=0 NF=1"},
		{"Mediastinal contours are normal.", "EC=0 NF=1"},
		{"The lungs are clear.", "LO=0 NF=1"},
		{"No pneumothorax or effusion.", "PX=0 EF=0 NF=1"},
		{"No focal consolidation, pleural effusion, or pneumothorax.", "CO=0 EF=0 PX=0 NF=1"},
		{"Lungs are clear without consolidation.", "LO=0 CO=0 NF=1"},
		{"Free of pneumothorax.", "PX=0 NF=1"},
		{"Median sternotomy wires are intact.", "SD=1 NF=1"},
		{"Surgical clips in the right upper quadrant.", "SD=1 NF=1"},
		{"Dual chamber pacemaker with leads in the right atrium and ventricle.", "SD=1 NF=1"},
		{"Endotracheal tube terminates 4 cm above the carina.", "SD=1 NF=1"},
		{"No lines or tubes.", "SD=0 NF=1"},
		{"Interval removal of the chest tube.", "SD=0 NF=1"},
		// Uncertainty.
		{"Left basilar opacity may represent atelectasis.", "LO=1 AT=-1"},
		{"Atelectasis versus pneumonia.", "AT=-1 PN=-1"},
		{"Findings concerning for pneumonia.", "PN=-1"},
		{"Possible small right effusion.", "EF=-1"},
		{"Likely atelectasis.", "AT=-1"},
		{"Opacities suggest edema.", "LO=1 ED=-1"},
		{"A small effusion cannot be excluded.", "EF=-1"},
		{"Heart size is stable.", "CM=-1"},
		{"Borderline heart size.", "CM=-1"},
		// Scope.
		{"No pneumothorax, but there is a small left effusion.", "PX=0 EF=1"},
		{"No pneumothorax. Mild cardiomegaly.", "PX=0 CM=1"},
		{"There is no pneumothorax and there is a small effusion.", "PX=0 EF=1"},
		{"No change in the small bilateral effusions.", "EF=1"},
		{"Lungs are clear, mild cardiomegaly.", "LO=0 CM=1"},
		{"The heart is enlarged and the lungs are clear.", "CM=1 LO=0"},
		{"Heart size and mediastinal contours are within normal limits.", "CM=0 EC=0 NF=1"},
		{"The heart is not enlarged.", "CM=0 NF=1"},
		{"Pericardial effusion.", "NF=1"},
		{"Plate-like atelectasis.", "AT=1"},
		{"Congestive heart failure.", "ED=1 CM=-1"},
		{"Calcified granuloma.", "NF=1"},
		{"Degenerative changes of the spine.", "NF=1"},
		{"", "NF=1"},
		{"Pneumothorax is not seen.", "PX=0 NF=1"},
		{"New left midlung opacity, not seen on prior.", "LO=1"},
		{"Healed right rib fractures.", "FX=1"},
		{"No acute displaced rib fracture.", "FX=0 NF=1"},
		{"Apical pleural thickening.", "PO=1"},
		{"Evaluation for pneumothorax is limited.", "NF=1"},
		{"Stable cardiomegaly and mediastinal contour.", "CM=1 EC=-1"},
	}
	for _, tc := range tests {
		want := parseGold(t, tc.want)
		got := Label(tc.report)
		if got != want {
			t.Errorf("Label(%q)\n got %s\nwant %s", tc.report, notation(got), notation(want))
		}
	}
}

func TestBlankNoFindingOnOtherFindings(t *testing.T) {
	defer func(v bool) { BlankNoFindingOnOtherFindings = v }(BlankNoFindingOnOtherFindings)
	for _, tc := range []struct {
		on   bool
		want chexpert.State
	}{{false, chexpert.Positive}, {true, chexpert.Blank}} {
		BlankNoFindingOnOtherFindings = tc.on
		if got := Label("Calcified granuloma. No pneumothorax.")[chexpert.NoFinding]; got != tc.want {
			t.Errorf("option %v: No Finding = %v, want %v", tc.on, got, tc.want)
		}
	}
	BlankNoFindingOnOtherFindings = true
	if got := Label("No granuloma. No pneumothorax.")[chexpert.NoFinding]; got != chexpert.Positive {
		t.Errorf("negated other finding: No Finding = %v, want positive", got)
	}
}

func notation(l chexpert.Labels) string {
	names := map[int]string{}
	for k, v := range abbrev {
		names[v] = k
	}
	var parts []string
	for i, s := range l {
		switch s {
		case chexpert.Positive:
			parts = append(parts, names[i]+"=1")
		case chexpert.Negative:
			parts = append(parts, names[i]+"=0")
		case chexpert.Uncertain:
			parts = append(parts, names[i]+"=-1")
		}
	}
	return strings.Join(parts, " ")
}

func TestLabelAllMatchesLabel(t *testing.T) {
	in := map[string]string{"a": "Mild cardiomegaly.", "b": "No pneumothorax.", "c": ""}
	out := LabelAll(in)
	if len(out) != len(in) {
		t.Fatalf("LabelAll returned %d results, want %d", len(out), len(in))
	}
	for id, r := range in {
		if out[id] != Label(r) {
			t.Errorf("LabelAll[%s] = %v, Label = %v", id, out[id], Label(r))
		}
	}
}

func FuzzLabel(f *testing.F) {
	for _, s := range []string{"No pneumothorax or effusion.", "The heart is enlarged.", "cannot exclude pneumonia ?",
		"1. 2. ..", "heart heart heart size normal normal", "ÀÉ nodule, , ; \n\n", "no change in the small effusion"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := Label(s)
		b := Label(s)
		if a != b {
			t.Fatalf("Label not deterministic on %q", s)
		}
		for i, st := range a {
			if st < chexpert.Blank || st > chexpert.Uncertain {
				t.Fatalf("state %d of %s out of range", st, chexpert.Observations[i])
			}
		}
		if a[chexpert.NoFinding] == chexpert.Negative || a[chexpert.NoFinding] == chexpert.Uncertain {
			t.Fatalf("No Finding is %v; only positive or blank", a[chexpert.NoFinding])
		}
	})
}

func BenchmarkLabelIU590(b *testing.B) {
	reports := iuReports(b)
	var list []string
	for _, r := range reports {
		list = append(list, r)
		if len(list) == 590 {
			break
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range list {
			Label(r)
		}
	}
	b.ReportMetric(float64(len(list))*float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds(t *testing.T) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// TestLabelLinearInReportLength: a 1 MB report that is one long clause full
// of mentions (a runaway generation) is labelled in about the time of its
// length, not its square (it took over 150 s).
func TestLabelLinearInReportLength(t *testing.T) {
	unit := "no edema and mild opacity and possible pneumothorax and the heart is enlarged , "
	small := strings.Repeat(unit, 10_000/len(unit))
	big := strings.Repeat(unit, 1_000_000/len(unit))
	c0 := cpuSeconds(t)
	ls := Label(small)
	c1 := cpuSeconds(t)
	lb := Label(big)
	c2 := cpuSeconds(t)
	if ls != lb {
		t.Errorf("labels differ with length: %v vs %v", ls, lb)
	}
	if l := Label(big + ". there is a small pleural effusion ."); l[chexpert.PleuralEffusion] != chexpert.Positive {
		t.Errorf("a sentence after the long one: effusion %v, want positive", l[chexpert.PleuralEffusion])
	}
	// 100 times the text: allow 300 times the time (and 3 s), not 10,000.
	if d := c2 - c1; d > 3 && d > 300*(c1-c0) {
		t.Errorf("1 MB took %.2f s of CPU, 10 KB %.3f s", d, c1-c0)
	}
	t.Logf("10 KB: %.3f s, 1 MB: %.3f s of CPU", c1-c0, c2-c1)
}
