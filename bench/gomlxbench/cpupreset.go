package gomlxbench

import (
	"github.com/gomlx/compute"

	"github.com/mrgkit/mrgkit/mrgkit/train"
)

// PresetVocab is the default vocabulary size (words) of the preset
// workloads: IU X-Ray's R2Gen vocabulary at threshold 3 is about this size.
// bench/torch_cpu_preset.py uses the same default.
const PresetVocab = 760

// PresetStep is train.PresetStep: one phase-1 train step of a preset with
// random inputs of its shapes.
func PresetStep(be compute.Backend, preset, set string, batch, vocab int) (step func() error, err error) {
	step, _, err = train.PresetStep(be, preset, set, batch, vocab)
	return step, err
}

func init() {
	workloads["cpu"] = func(be compute.Backend, o WorkloadOptions) (func() error, error) {
		if o.Batch <= 0 {
			o.Batch = 16
		}
		if o.Vocab <= 0 {
			o.Vocab = PresetVocab
		}
		step, last, _, err := train.PresetStepWithGraph(be, "cpu", o.Set, o.Batch, o.Vocab)
		if err == nil && o.Graph != nil {
			o.Graph(last)
		}
		return step, err
	}
}
