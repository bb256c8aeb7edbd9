package gomlxbench

import (
	"slices"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"
)

// workloads maps a name to a constructor of one train step; the mrgkit
// model's presets register themselves here (see cpupreset.go).
var workloads = map[string]func(be compute.Backend) (func() error, error){
	"tiny": func(be compute.Backend) (func() error, error) {
		step, _ := Tiny().Step(be)
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
func Workload(name string, be compute.Backend) (func() error, error) {
	mk, ok := workloads[name]
	if !ok {
		return nil, errors.Errorf("unknown workload %q (known: %v)", name, WorkloadNames())
	}
	return mk(be)
}
