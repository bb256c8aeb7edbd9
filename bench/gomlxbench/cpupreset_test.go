package gomlxbench

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

// TestCPUPresetMatchesTorch checks that bench/torch_cpu_preset.py is the same
// model as mrgkit's `cpu` preset: equal trainable parameter counts. It needs
// Debian's python3-torch (bench/compare installs it); skipped without.
func TestCPUPresetMatchesTorch(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("python3-torch not installed (bench/compare installs it): PyTorch twin not checked")
	}
	cfg := backend.GoConfig
	if backend.ONNXLibrary() != "" {
		cfg = "onnx:cpu" // faster to run one step
	}
	be, err := backend.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	step, store, err := PresetStep(be, "cpu", "", 2, PresetVocab)
	if err != nil {
		t.Fatal(err)
	}
	if err := step(); err != nil { // creates the variables
		t.Fatal(err)
	}
	goCount := 0
	for v := range store.IterVariables() {
		if v.Trainable && strings.HasPrefix(v.Scope(), "/model") {
			goCount += v.Shape().Size()
		}
	}
	cmd := exec.Command(py, "-c", "import torch_cpu_preset as m; print(m.count_parameters())")
	cmd.Dir = ".." // bench/, where torch_cpu_preset.py lives
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("torch_cpu_preset.py: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`\d+`).Find(out)
	torchCount, _ := strconv.Atoi(string(m))
	if goCount != torchCount {
		t.Errorf("trainable parameters: GoMLX cpu preset %d, bench/torch_cpu_preset.py %d: update the PyTorch twin", goCount, torchCount)
	} else {
		t.Logf("cpu preset: %d trainable parameters in both", goCount)
	}
}
