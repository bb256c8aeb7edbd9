package model

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// probsLogits builds 14×4 logits whose softmax is the given distribution per
// observation (class order blank, positive, negative, uncertain); the others
// get a confident "blank".
func probsLogits(rows map[int][4]float64) []float32 {
	out := make([]float32, chexpert.NumObservations*4)
	for o := range chexpert.NumObservations {
		p, ok := rows[o]
		if !ok {
			p = [4]float64{0.97, 0.01, 0.01, 0.01}
		}
		for s := range 4 {
			out[o*4+s] = float32(math.Log(p[s]))
		}
	}
	return out
}

func TestConsistentLabels(t *testing.T) {
	const (
		B = int32(0) // blank
		P = int32(1) // positive
		N = int32(2) // negative
		U = int32(3) // uncertain
	)
	nf, card, eff, sd := chexpert.NoFinding, chexpert.Cardiomegaly, chexpert.PleuralEffusion, chexpert.SupportDevices
	for _, tc := range []struct {
		name string
		rows map[int][4]float64
		want map[int]int32 // observations not listed: blank
	}{
		{
			// Argmax: nothing found and No Finding blank. Forcing the best
			// finding positive costs log(0.05/0.9) = -2.89, No Finding
			// positive only log(0.4/0.55) = -0.32: "normal".
			name: "nothing found, unsure No Finding -> normal",
			rows: map[int][4]float64{nf: {0.55, 0.4, 0.04, 0.01}, card: {0.04, 0.05, 0.9, 0.01}},
			want: map[int]int32{nf: P, card: N},
		},
		{
			// Argmax: Cardiomegaly negative (0.5 vs 0.45), No Finding blank
			// (0.9). normal = log 0.1 + log 0.5 = -2.99; abnormal = log 0.9
			// + log 0.45 = -0.90: Cardiomegaly is called positive.
			name: "nothing found, confident not-normal -> the likeliest finding",
			rows: map[int][4]float64{nf: {0.9, 0.1, 0, 0}, card: {0.02, 0.45, 0.5, 0.03}},
			want: map[int]int32{card: P},
		},
		{
			// Argmax: Cardiomegaly positive (0.6) and No Finding positive
			// (0.7). normal = log 0.7 + log 0.35 = -1.41; abnormal = log 0.3
			// + log 0.6 = -1.71: normal wins.
			name: "finding and No Finding both positive -> normal",
			rows: map[int][4]float64{nf: {0.3, 0.7, 0, 0}, card: {0.02, 0.6, 0.35, 0.03}},
			want: map[int]int32{nf: P, card: N},
		},
		{
			name: "the same with a confident finding -> abnormal",
			rows: map[int][4]float64{nf: {0.3, 0.7, 0, 0}, card: {0.01, 0.95, 0.03, 0.01}},
			want: map[int]int32{card: P},
		},
		{
			// Support Devices does not count against No Finding.
			name: "support devices with a normal study",
			rows: map[int][4]float64{nf: {0.2, 0.8, 0, 0}, eff: {0.05, 0.01, 0.93, 0.01}, sd: {0.1, 0.85, 0.04, 0.01}},
			want: map[int]int32{nf: P, eff: N, sd: P},
		},
		{
			// An uncertain finding is a finding: No Finding stays blank.
			name: "uncertain finding",
			rows: map[int][4]float64{nf: {0.6, 0.4, 0, 0}, eff: {0.05, 0.05, 0.1, 0.8}},
			want: map[int]int32{eff: U},
		},
		{
			// Already consistent argmaxes are kept as they are.
			name: "consistent argmax kept",
			rows: map[int][4]float64{nf: {0.9, 0.05, 0.04, 0.01}, card: {0.01, 0.9, 0.08, 0.01}, eff: {0.1, 0.2, 0.6, 0.1}},
			want: map[int]int32{card: P, eff: N},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ConsistentLabels(probsLogits(tc.rows))
			for o := range chexpert.NumObservations {
				want, ok := tc.want[o]
				if !ok {
					want = B
				}
				if got[o] != want {
					t.Errorf("%s: class %d, want %d (all: %v)", chexpert.Observations[o], got[o], want, got)
				}
			}
		})
	}
}

// The generator's diagnosis applies ConsistentLabels only with nf_rule.
func TestDiagnosisNFRule(t *testing.T) {
	rows := map[int][4]float64{chexpert.NoFinding: {0.55, 0.4, 0.04, 0.01}, chexpert.Cardiomegaly: {0.04, 0.05, 0.9, 0.01}}
	logits := probsLogits(rows)
	for _, rule := range []bool{false, true} {
		gen := &Generator{Config: Config{UsePrompts: true, NumLabels: chexpert.NumObservations, NFRule: rule}}
		cls := tensors.FromFlatDataAndDimensions(append([]float32(nil), logits...), 1, chexpert.NumObservations, 4)
		raw := tensors.FromFlatDataAndDimensions(append([]float32(nil), logits...), 1, chexpert.NumObservations, 4)
		preds, prompts := gen.diagnosis(1, cls, raw)
		want := chexpert.Blank // the argmax
		if rule {
			want = chexpert.Positive
		}
		if got := preds[0].Labels[chexpert.NoFinding]; got != want {
			t.Errorf("nf_rule=%v: No Finding %v, want %v", rule, got, want)
		}
		if got := prompts[chexpert.NoFinding]; got != int32(want.Class()) {
			t.Errorf("nf_rule=%v: No Finding prompt %d, want %d", rule, got, want.Class())
		}
	}
}
