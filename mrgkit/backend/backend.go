// Package backend chooses the GoMLX compute backend mrgkit runs on: the
// user's GOMLX_BACKEND, else ONNX Runtime on CPU when its library is
// installed, else the zero-install pure-Go backend.
//
// ONNX Runtime's backend (github.com/gomlx/compute-onnx) registers as both
// "onnx" and "onnxruntime"; mrgkit always asks for "onnx:cpu" (a bare
// "onnx" picks CUDA when nvidia-smi finds a GPU).
//
// ONNX Runtime cannot build or differentiate every op (strided
// convolutions, mean pooling, Clamp, Sort/TopK). Code that builds or runs
// graphs passes its errors through WrapErr (or `defer Recover(&err)` around
// graph building, which panics on errors), so that users read which op
// failed and that GOMLX_BACKEND=go runs it.
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	// The three backends mrgkit supports. None of them downloads anything:
	// the XLA package is imported without its auto-installer, and
	// GOMLX_NO_AUTO_INSTALL=1 is set before any backend is created.
	_ "github.com/gomlx/compute-onnx"
	_ "github.com/gomlx/compute/gobackend"
	_ "github.com/gomlx/go-xla/compute/xla"
)

// GoConfig is the pure-Go backend configuration used when nothing faster is
// available. parallelism=-1 was measured fastest on 2 cores (see README).
const GoConfig = "go:parallelism=-1"

// LibraryEnv names the environment variable that points at libonnxruntime.so.
const LibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

func init() {
	// Never download a PJRT plugin or ONNX Runtime at run time.
	_ = os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
}

// ONNXLibrary returns the path of an installed ONNX Runtime shared library, or
// "" when none is found. It looks at $ONNXRUNTIME_SHARED_LIBRARY_PATH and then
// ~/.local/lib/onnxruntime/ (where `make onnxruntime` installs it).
func ONNXLibrary() string {
	if p := os.Getenv(LibraryEnv); p != "" {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	dir := filepath.Join(home, ".local", "lib", "onnxruntime")
	for _, name := range []string{"libonnxruntime.so", "libonnxruntime.so.1"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Config returns the backend configuration string mrgkit will use, and a
// human-readable reason for the choice.
func Config() (config, why string) {
	if c, ok := os.LookupEnv(compute.ConfigEnvVar); ok && c != "" {
		return c, "from $" + compute.ConfigEnvVar
	}
	if lib := ONNXLibrary(); lib != "" {
		return "onnx:cpu", "ONNX Runtime library found at " + lib
	}
	return GoConfig, "ONNX Runtime not installed (run `make onnxruntime` for a CPU backend about 2x faster on the cpu preset)"
}

var (
	mu      sync.Mutex
	shared  compute.Backend
	sharedC string
)

// New creates a backend for the given configuration ("" means Config()).
// Errors from the backend constructors, including panics, come back as errors.
func New(config string) (b compute.Backend, err error) {
	if config == "" {
		config, _ = Config()
	}
	if lib := ONNXLibrary(); lib != "" && os.Getenv(LibraryEnv) == "" {
		_ = os.Setenv(LibraryEnv, lib)
	}
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("cannot create GoMLX backend %q: %v (set GOMLX_BACKEND=go to use the pure-Go backend)", config, r)
		}
	}()
	if strings.HasPrefix(config, "go") {
		// The Go backend prints "Go backend: parallelism set to N" on stdout;
		// keep stdout for mrg's own output.
		stdout := os.Stdout
		os.Stdout = os.Stderr
		defer func() { os.Stdout = stdout }()
	}
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot create GoMLX backend %q (set GOMLX_BACKEND=go to use the pure-Go backend)", config)
	}
	return b, nil
}

// Shared returns one process-wide backend, created on first use with Config().
func Shared() (compute.Backend, error) {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared, nil
	}
	c, _ := Config()
	b, err := New(c)
	if err != nil {
		return nil, err
	}
	shared, sharedC = b, c
	return b, nil
}

// Describe returns one line saying which backend runs and why.
func Describe() string {
	c, why := Config()
	return fmt.Sprintf("backend: %s (%s)", c, why)
}
