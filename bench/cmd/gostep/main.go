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
	"strings"
	"syscall"

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
	step, err := gomlxbench.Workload(*modelName, be, gomlxbench.WorkloadOptions{Set: *set, Batch: *batch, Vocab: *vocab})
	if err != nil {
		return err
	}
	for range *warmup {
		if err := step(); err != nil {
			return backend.WrapErr(err)
		}
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
