package gomlxbench

import (
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/pkg/errors"
)

// WorkloadOptions adjust a workload: Set is the `mrg train -set` syntax for
// the mrgkit preset workloads ("" keeps the preset); Batch and Vocab of 0
// keep the defaults (16, and 800 tiny / PresetVocab presets).
// Graph, when set, receives a function returning the compiled train graph of
// the last step (preset workloads only).
type WorkloadOptions struct {
	Set          string
	Batch, Vocab int
	Graph        func(last func() *graph.Graph)
}

// workloads maps a name to a constructor of one train step; the mrgkit
// model's presets register themselves here (see cpupreset.go).
var workloads = map[string]func(be compute.Backend, o WorkloadOptions) (func() error, error){
	"tiny": func(be compute.Backend, o WorkloadOptions) (func() error, error) {
		if o.Set != "" {
			return nil, errors.New("the tiny transformer takes no -set")
		}
		c := Tiny()
		if o.Batch > 0 {
			c.Batch = o.Batch
		}
		if o.Vocab > 0 {
			c.Vocab = o.Vocab
		}
		step, _ := c.Step(be)
		return step, nil
	},
}

// WorkloadNames lists the workloads Workload accepts.
func WorkloadNames() []string {
	var names []string
	for n := range workloads {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Workload returns one train step of the named workload on be.
func Workload(name string, be compute.Backend, o WorkloadOptions) (func() error, error) {
	mk, ok := workloads[name]
	if !ok {
		return nil, errors.Errorf("unknown workload %q (known: %v)", name, WorkloadNames())
	}
	return mk(be, o)
}
