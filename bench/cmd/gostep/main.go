// Command gostep times GoMLX train steps for bench/compare: it prints one
// line "gostep model=<m> backend=<cfg> median_s=<seconds> cpu_s=<seconds>
// steps=<n>": the median wall time of a step and the process CPU time
// (user+system, all threads) per step.
//
//	go run ./bench/cmd/gostep -model tiny -backend onnx:cpu -steps 10
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	onnxbackend "github.com/gomlx/compute-onnx"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/gomlx/compute"

	"github.com/mrgkit/mrgkit/bench/gomlxbench"
	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gostep: %v\n", err)
		os.Exit(1)
	}
}

// cpuSeconds is the process's user+system CPU time: per step, it measures
// work done independently of other load on the machine (wall time does not).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func run(args []string) error {
	fs := flag.NewFlagSet("gostep", flag.ContinueOnError)
	modelName := fs.String("model", "tiny", "workload: "+strings.Join(gomlxbench.WorkloadNames(), ", "))
	cfg := fs.String("backend", "", "GoMLX backend configuration (default: what mrgkit chooses)")
	warmup := fs.Int("warmup", 2, "untimed steps (compilation happens in the first)")
	steps := fs.Int("steps", 10, "timed steps")
	set := fs.String("set", "", "hyperparameters of the mrgkit preset workloads, as `mrg train -set` (\"k=v;k2=v2\")")
	batch := fs.Int("batch", 0, "batch size (0: the workload's default, 16)")
	vocab := fs.Int("vocab", 0, "vocabulary size (0: the workload's default)")
	list := fs.Bool("list", false, "print the workload names, one per line, and exit")
	ops := fs.Bool("ops", false, "print the op count of the compiled train graph, per op type (preset workloads)")
	saveONNX := fs.String("save-onnx", "", "write the compiled train graph as an ONNX model to this `file` (onnx backend, preset workloads)")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the timed steps to this `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, n := range gomlxbench.WorkloadNames() {
			fmt.Println(n)
		}
		return nil
	}
	if *steps < 1 || *warmup < 0 {
		return fmt.Errorf("-steps must be >= 1 and -warmup >= 0 (got %d, %d)", *steps, *warmup)
	}
	if *cfg == "" {
		*cfg, _ = backend.Config()
	}
	be, err := backend.New(*cfg)
	if err != nil {
		return err
	}
	defer be.Finalize()
	if *saveONNX != "" {
		ob, ok := be.(*onnxbackend.Backend)
		if !ok {
			return fmt.Errorf("-save-onnx needs an onnx backend (got %q)", *cfg)
		}
		ob.SetKeepModelProto(true)
	}
	var last func() *graph.Graph
	opts := gomlxbench.WorkloadOptions{Set: *set, Batch: *batch, Vocab: *vocab, Graph: func(l func() *graph.Graph) { last = l }}
	step, err := gomlxbench.Workload(*modelName, be, opts)
	if err != nil {
		return err
	}
	nWarm := *warmup
	if *ops || *saveONNX != "" {
		nWarm = max(nWarm, 1) // the graph exists after the first step
	}
	for range nWarm {
		if err := step(); err != nil {
			return backend.WrapErr(err)
		}
	}
	if (*ops || *saveONNX != "") && (last == nil || last() == nil) {
		return fmt.Errorf("-ops and -save-onnx need a preset workload (got %q)", *modelName)
	}
	if *ops {
		printOps(last())
	}
	if *saveONNX != "" {
		if err := saveModel(be, last(), *saveONNX); err != nil {
			return err
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile %s: %w", *cpuProfile, err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuSeconds()
	med, err := gomlxbench.Median(step, 0, *steps)
	if err != nil {
		return backend.WrapErr(err)
	}
	cpuPerStep := (cpuSeconds() - cpu0) / float64(*steps)
	extra := ""
	if *set != "" {
		extra = fmt.Sprintf(" set=%q", *set)
	}
	fmt.Printf("gostep model=%s backend=%s median_s=%.4f cpu_s=%.4f steps=%d%s\n", *modelName, *cfg, med.Seconds(), cpuPerStep, *steps, extra)
	return nil
}

// printOps prints the graph's node count and its count per op type, most
// frequent first: lines "ops total=<n>" and "ops <type> <n>".
func printOps(g *graph.Graph) {
	counts := map[string]int{}
	for _, n := range g.Nodes() {
		counts[n.Type().String()]++
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		if counts[types[i]] != counts[types[j]] {
			return counts[types[i]] > counts[types[j]]
		}
		return types[i] < types[j]
	})
	fmt.Printf("ops total=%d types=%d\n", len(g.Nodes()), len(types))
	for _, t := range types {
		fmt.Printf("ops %s %d\n", t, counts[t])
	}
}

// saveModel writes g's compiled ONNX model to path (atomically).
func saveModel(be compute.Backend, g *graph.Graph, path string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("-save-onnx: %w", err)
	}
	if err := onnxbackend.SaveModel(be, g.Executable(), f, nil, nil); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("-save-onnx %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("-save-onnx %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
