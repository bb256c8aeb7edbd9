package backend

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"
)

// UnsupportedOpError is returned by WrapErr when the backend in use cannot
// build or differentiate an operation (typically ONNX Runtime: strided
// convolutions and mean pooling need interior padding in their gradients).
type UnsupportedOpError struct {
	// Backend is the configuration in use, e.g. "onnx:cpu".
	Backend string
	// Op is the operation the backend rejected, as far as the message names
	// it (e.g. "Pad", "ReduceWindow", "FusedScaledDotProductAttentionVJP");
	// "" when it cannot be told.
	Op string
	// Err is the original error.
	Err error
}

func (e *UnsupportedOpError) Error() string {
	op := "an operation"
	if e.Op != "" {
		op = "operation " + e.Op
	}
	return fmt.Sprintf("backend %s cannot run %s (%v); set GOMLX_BACKEND=go to use the pure-Go backend, "+
		"or change the model to ops both CPU backends can train (stride-1 convolution + max-pool, "+
		"space-to-depth reshape + matmul)", e.Backend, op, rootMessage(e.Err))
}

// Unwrap returns the original error, so errors.Is(err, compute.ErrNotImplemented) holds.
func (e *UnsupportedOpError) Unwrap() error { return e.Err }

// WrapErr annotates an error from building, compiling or running a GoMLX
// graph (e.g. from graph.Exec.Call, train.Trainer.TrainStep or a recovered
// panic). When the error says an operation is not implemented on the backend
// in use, it returns an *UnsupportedOpError naming the operation and
// suggesting GOMLX_BACKEND=go; any other error is returned unchanged, and nil
// stays nil. Training and evaluation code should pass their step errors
// through it:
//
//	if _, err := trainer.TrainStep(batch); err != nil {
//		return backend.WrapErr(err)
//	}
func WrapErr(err error) error {
	if err == nil {
		return nil
	}
	var already *UnsupportedOpError
	if errors.As(err, &already) {
		return err
	}
	msg := err.Error()
	if !compute.IsNotImplemented(err) && !looksUnsupported(msg) {
		return err
	}
	cfg := currentConfig()
	return &UnsupportedOpError{Backend: cfg, Op: opName(msg), Err: err}
}

// Recover turns a panic (GoMLX graph building reports errors by panicking)
// into an error passed through WrapErr. Use it with a named error result:
//
//	func build() (err error) {
//		defer backend.Recover(&err)
//		...
//	}
func Recover(err *error) {
	if r := recover(); r != nil {
		var e error
		switch v := r.(type) {
		case error:
			e = v
		default:
			e = errors.Errorf("%v", v)
		}
		*err = WrapErr(e)
	}
}

// currentConfig names the backend in use: the shared one if created, else
// the one Config() would choose.
func currentConfig() string {
	mu.Lock()
	c := sharedC
	mu.Unlock()
	if c == "" {
		c, _ = Config()
	}
	return c
}

var unsupportedPhrases = []string{
	compute.ErrNotImplemented.Error(),
	"not implemented for onnx",
	"not implemented for onnxruntime",
	"not supported by onnx",
	"not implemented for the onnx",
}

func looksUnsupported(msg string) bool {
	low := strings.ToLower(msg)
	for _, p := range unsupportedPhrases {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}

var opPatterns = []*regexp.Regexp{
	// compute-onnx builder: "<Op> (<n>) not implemented for ONNX Runtime backend".
	regexp.MustCompile(`([A-Z][A-Za-z0-9]+) \(\d+\) not implemented`),
	// "interior padding is not supported by ONNX Pad", "... by ONNX pooling operators".
	regexp.MustCompile(`not supported by ONNX ([A-Za-z]+)`),
	// "<Op> is not implemented for onnxruntime backend", "<Op>: ..." prefixes.
	regexp.MustCompile(`([A-Z][A-Za-z0-9]+) is not implemented`),
	regexp.MustCompile(`(?:^|: )([A-Z][A-Za-z0-9]+): `),
	// "ReduceWindow reduction type ... not implemented".
	regexp.MustCompile(`([A-Z][A-Za-z0-9]+) reduction type`),
}

func opName(msg string) string {
	if strings.Contains(msg, "does not support functions") {
		// Sort, TopK, While, Call... build closures ONNX Runtime cannot express.
		return "closure (Sort/TopK/While)"
	}
	for _, re := range opPatterns {
		if m := re.FindStringSubmatch(msg); m != nil {
			return m[1]
		}
	}
	return ""
}

// rootMessage is the innermost message of err, without GoMLX's stack traces.
func rootMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	// GoMLX reports graph-building panics as "... graphFn for "Exec:..." panicked: <cause>".
	if i := strings.LastIndex(msg, "panicked: "); i >= 0 {
		msg = msg[i+len("panicked: "):]
	}
	return msg
}
