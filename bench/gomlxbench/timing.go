package gomlxbench

import (
	"slices"
	"time"

	"github.com/gomlx/compute"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// Median runs step warmup times untimed (compilation happens there), then n
// times, and returns the median wall time of the timed calls.
func Median(step func() error, warmup, n int) (time.Duration, error) {
	for range warmup {
		if err := step(); err != nil {
			return 0, err
		}
	}
	times := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := step(); err != nil {
			return 0, err
		}
		times = append(times, time.Since(start))
	}
	if len(times) == 0 {
		return 0, nil
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}

// BackendConfigs are the two CPU backends the benchmarks compare.
var BackendConfigs = []struct{ Name, Config string }{
	{"go", backend.GoConfig},
	{"onnx", "onnx:cpu"},
}

// NewBackend creates the backend for config ("" chooses like mrgkit does).
func NewBackend(config string) (compute.Backend, error) {
	return backend.New(config)
}
