// Package weights imports ImageNet-pretrained encoders from other frameworks
// into mrgkit: torchvision (or timm) ResNet state dicts, read in Go from
// PyTorch's `torch.save` files (.pth, zip format, through
// github.com/nlpodyssey/gopickle) or from .safetensors files (a small reader
// of that format here), written as a GoMLX checkpoint directory whose
// /model/encoder/... variables `mrg train -init-encoder` loads. Features
// computes the encoder's pooled features of images, to check an import
// against the original framework.
package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
	"github.com/pkg/errors"
)

// Tensor is one named parameter of a state dict, as float32 in row-major
// (C) order.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
	// Int is set for integer tensors (e.g. num_batches_tracked), whose Data
	// is not read.
	Int bool
}

// Format names the two file formats ReadStateDict understands.
const (
	FormatPTH         = "pth"
	FormatSafetensors = "safetensors"
)

// ReadStateDict reads every tensor of a PyTorch state dict saved with
// torch.save (zip format, or the legacy pickle format) or of a .safetensors
// file, in file order. The format is told from the content, not the name.
func ReadStateDict(path string) (tensors []Tensor, format string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	if st.IsDir() {
		return nil, "", errors.Errorf("%s is a directory, not a weights file", path)
	}
	head := make([]byte, 9)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		t, err := readPTH(path)
		return t, FormatPTH, err
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		// Legacy (pre-1.6) torch.save format: a bare pickle stream.
		t, err := readPTH(path)
		return t, FormatPTH, err
	case len(head) == 9 && head[8] == '{':
		t, err := readSafetensors(f, st.Size(), path)
		return t, FormatSafetensors, err
	}
	return nil, "", errors.Errorf("%s is neither a PyTorch state dict (.pth saved by torch.save) nor a .safetensors file", path)
}

// readPTH reads a torch.save file through gopickle.
func readPTH(path string) ([]Tensor, error) {
	if r, err := zip.OpenReader(path); err == nil {
		r.Close()
	} else if !isLegacy(path) {
		return nil, errors.Errorf("%s: truncated or corrupt PyTorch zip archive (%v)", path, err)
	}
	obj, err := loadPickle(path)
	if err != nil {
		msg := err.Error()
		if cls, ok := strings.CutPrefix(msg, "class not found: "); ok {
			return nil, errors.Errorf("%s holds a pickled Python object (%s), not a state dict: save one with torch.save(model.state_dict(), %q)",
				path, strings.ReplaceAll(cls, " ", "."), path)
		}
		if strings.Contains(msg, "EOF") || strings.Contains(msg, "exhausted") || strings.Contains(msg, "checksum") {
			return nil, errors.Errorf("%s: truncated or corrupt PyTorch file (%v)", path, err)
		}
		return nil, errors.Errorf("%s: cannot read the PyTorch file (%v)", path, err)
	}
	var entries [][2]any
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			kv := e.Value.(*types.OrderedDictEntry)
			entries = append(entries, [2]any{kv.Key, kv.Value})
		}
	case *types.Dict:
		for _, kv := range *d {
			entries = append(entries, [2]any{kv.Key, kv.Value})
		}
	default:
		return nil, errors.Errorf("%s holds a %s, not a state dict: save one with torch.save(model.state_dict(), %q)", path, pyTypeName(obj), path)
	}
	var out []Tensor
	var nonTensor []string
	for _, kv := range entries {
		name, ok := kv[0].(string)
		if !ok {
			return nil, errors.Errorf("%s: state dict key %v is not a string", path, kv[0])
		}
		pt, ok := kv[1].(*pytorch.Tensor)
		if !ok {
			nonTensor = append(nonTensor, name)
			continue
		}
		t, err := fromTorch(name, pt)
		if err != nil {
			return nil, errors.Wrapf(err, "%s", path)
		}
		out = append(out, t)
	}
	if len(nonTensor) > 0 {
		return nil, errors.Errorf("%s holds a dict whose entries %s are not tensors, not a state dict: save one with torch.save(model.state_dict(), %q)",
			path, strings.Join(first(nonTensor, 3), ", "), path)
	}
	return out, nil
}

func isLegacy(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 2)
	if _, err := io.ReadFull(f, b); err != nil {
		return false
	}
	return b[0] == 0x80
}

// loadPickle runs gopickle, turning its panics on malformed input into errors.
func loadPickle(path string) (obj any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed pickle: %v", r)
		}
	}()
	return pytorch.Load(path)
}

func pyTypeName(obj any) string {
	switch o := obj.(type) {
	case *types.GenericObject:
		return "pickled " + o.Class.Module + "." + o.Class.Name + " object"
	case *pytorch.Tensor:
		return "single tensor"
	case *types.List, *types.Tuple:
		return "list"
	}
	return fmt.Sprintf("Python value of type %T", obj)
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string(nil), s[:n]...), "...")
	}
	return s
}

// fromTorch copies a (possibly strided) torch tensor into a dense float32 one.
func fromTorch(name string, pt *pytorch.Tensor) (Tensor, error) {
	t := Tensor{Name: name, Shape: append([]int(nil), pt.Size...)}
	var get func(i int) float32
	switch s := pt.Source.(type) {
	case *pytorch.FloatStorage:
		get = func(i int) float32 { return s.Data[i] }
	case *pytorch.HalfStorage:
		get = func(i int) float32 { return s.Data[i] }
	case *pytorch.BFloat16Storage:
		get = func(i int) float32 { return s.Data[i] }
	case *pytorch.DoubleStorage:
		get = func(i int) float32 { return float32(s.Data[i]) }
	case *pytorch.LongStorage, *pytorch.IntStorage, *pytorch.ShortStorage, *pytorch.CharStorage, *pytorch.ByteStorage, *pytorch.BoolStorage:
		t.Int = true
		return t, nil
	default:
		return t, errors.Errorf("tensor %s: unsupported storage %T", name, pt.Source)
	}
	size := 1
	for _, d := range t.Shape {
		size *= d
	}
	t.Data = make([]float32, size)
	if len(pt.Stride) != len(t.Shape) {
		return t, errors.Errorf("tensor %s: %d strides for %d dimensions", name, len(pt.Stride), len(t.Shape))
	}
	idx := make([]int, len(t.Shape))
	var bad error
	func() {
		defer func() {
			if r := recover(); r != nil {
				bad = errors.Errorf("tensor %s: storage shorter than its shape %v (truncated file?)", name, t.Shape)
			}
		}()
		for k := range size {
			off := pt.StorageOffset
			for a, i := range idx {
				off += i * pt.Stride[a]
			}
			t.Data[k] = get(off)
			for a := len(idx) - 1; a >= 0; a-- {
				idx[a]++
				if idx[a] < t.Shape[a] {
					break
				}
				idx[a] = 0
			}
		}
	}()
	return t, bad
}

// safetensorsEntry is one tensor of a .safetensors header.
type safetensorsEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// readSafetensors reads the format of huggingface/safetensors: an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape,
// data_offsets}}, then the little-endian tensor bytes. Tensors are returned
// sorted by data offset (the order they were written in).
func readSafetensors(f *os.File, fileSize int64, path string) ([]Tensor, error) {
	var hdr [8]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return nil, errors.Errorf("%s: truncated safetensors file", path)
	}
	n := binary.LittleEndian.Uint64(hdr[:])
	if n > uint64(fileSize-8) {
		return nil, errors.Errorf("%s: truncated safetensors file (header of %d bytes, file of %d)", path, n, fileSize)
	}
	raw := make([]byte, n)
	if _, err := f.ReadAt(raw, 8); err != nil {
		return nil, errors.Wrapf(err, "%s: reading the safetensors header", path)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw, &header); err != nil {
		return nil, errors.Errorf("%s: corrupt safetensors header (%v)", path, err)
	}
	base := 8 + int64(n)
	type named struct {
		name string
		e    safetensorsEntry
	}
	var list []named
	for name, msg := range header {
		if name == "__metadata__" {
			continue
		}
		var e safetensorsEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, errors.Errorf("%s: corrupt safetensors entry %q (%v)", path, name, err)
		}
		list = append(list, named{name, e})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].e.DataOffsets[0] < list[j].e.DataOffsets[0] })
	var out []Tensor
	for _, it := range list {
		e := it.e
		size := 1
		for _, d := range e.Shape {
			size *= d
		}
		start, end := e.DataOffsets[0], e.DataOffsets[1]
		if start < 0 || end < start {
			return nil, errors.Errorf("%s: tensor %s has bad data offsets %v", path, it.name, e.DataOffsets)
		}
		if base+end > fileSize {
			return nil, errors.Errorf("%s: truncated safetensors file (tensor %s ends at byte %d, file has %d)", path, it.name, base+end, fileSize)
		}
		t := Tensor{Name: it.name, Shape: e.Shape}
		var width int
		switch e.DType {
		case "F32":
			width = 4
		case "F16", "BF16":
			width = 2
		case "F64":
			width = 8
		case "I64", "I32", "I16", "I8", "U8", "BOOL":
			t.Int = true
			out = append(out, t)
			continue
		default:
			return nil, errors.Errorf("%s: tensor %s has unsupported dtype %s", path, it.name, e.DType)
		}
		if end-start != int64(size*width) {
			return nil, errors.Errorf("%s: tensor %s has %d bytes for shape %v of %s", path, it.name, end-start, e.Shape, e.DType)
		}
		b := make([]byte, end-start)
		if _, err := f.ReadAt(b, base+start); err != nil {
			return nil, errors.Wrapf(err, "%s: reading tensor %s", path, it.name)
		}
		t.Data = make([]float32, size)
		for i := range t.Data {
			switch e.DType {
			case "F32":
				t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			case "F64":
				t.Data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			case "BF16":
				t.Data[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			case "F16":
				t.Data[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		v := float32(mant) / 1024 * float32(math.Pow(2, -14))
		if sign != 0 {
			return -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}
