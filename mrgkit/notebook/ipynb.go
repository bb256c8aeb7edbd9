package notebook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pkg/errors"
)

// StampKey is the metadata key (of the notebook and of each code cell)
// under which mrgkit records where committed outputs came from.
const StampKey = "mrgkit"

// SourceHash is the hash stored in a code cell's metadata next to its
// outputs: "sha256:" and the hex SHA-256 of the cell's source text.
func SourceHash(source string) string {
	h := sha256.Sum256([]byte(source))
	return "sha256:" + hex.EncodeToString(h[:])
}

// ipynbSource joins a cell's "source" field (a string or a list of lines).
func ipynbSource(raw any) (string, error) {
	switch s := raw.(type) {
	case nil:
		return "", nil
	case string:
		return s, nil
	case []any:
		var b strings.Builder
		for i, l := range s {
			ls, ok := l.(string)
			if !ok {
				return "", errors.Errorf("source line %d is not a string", i)
			}
			b.WriteString(ls)
		}
		return b.String(), nil
	}
	return "", errors.Errorf("source is a %T, not a string or list of lines", raw)
}

func decodeNotebook(name string, data []byte) (map[string]any, []any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var nb map[string]any
	if err := dec.Decode(&nb); err != nil {
		return nil, nil, errors.Errorf("%s: not a notebook (JSON): %v", name, err)
	}
	cells, ok := nb["cells"].([]any)
	if !ok {
		return nil, nil, errors.Errorf("%s: not a notebook: no \"cells\" list", name)
	}
	return nb, cells, nil
}

// Stamp records in a notebook (the .ipynb bytes, named name in errors) that
// its outputs are current: each code cell's metadata gets
// {"mrgkit": {"source_sha256": SourceHash(source)}}, the notebook's
// metadata gets {"mrgkit": info}. The result is written like Jupyter does
// (keys sorted, one-space indent, UTF-8 unescaped, final newline).
func Stamp(name string, data []byte, info map[string]any) ([]byte, error) {
	nb, cells, err := decodeNotebook(name, data)
	if err != nil {
		return nil, err
	}
	err = eachCodeCell(name, cells, func(_ int, cell map[string]any, src string) {
		meta, _ := cell["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
		}
		meta[StampKey] = map[string]any{"source_sha256": SourceHash(src)}
		cell["metadata"] = meta
	})
	if err != nil {
		return nil, err
	}
	meta, _ := nb["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta[StampKey] = info
	nb["metadata"] = meta
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return nil, errors.Wrapf(err, "%s: encoding", name)
	}
	return buf.Bytes(), nil
}

// CheckOutputs lists what is wrong with a committed notebook's outputs: a
// code cell that never ran or has no output, an error output, a cell whose
// source changed since its outputs were made (the hash Stamp stored differs
// or is missing), and outputs from smoke mode. Empty means the outputs are
// complete and current.
func CheckOutputs(name string, data []byte) ([]string, error) {
	nb, cells, err := decodeNotebook(name, data)
	if err != nil {
		return nil, err
	}
	var problems []string
	if meta, _ := nb["metadata"].(map[string]any); meta != nil {
		info, _ := meta[StampKey].(map[string]any)
		if info == nil {
			problems = append(problems, "the notebook has no metadata."+StampKey+": its outputs were not made by `make notebooks-outputs`")
		} else if smoke, _ := info["smoke"].(bool); smoke {
			problems = append(problems, "the outputs come from smoke mode (metadata."+StampKey+".smoke): regenerate them with `make notebooks-outputs`")
		}
	}
	err = eachCodeCell(name, cells, func(i int, cell map[string]any, src string) {
		first := strings.SplitN(strings.TrimSpace(src), "\n", 2)[0]
		where := fmt.Sprintf("cell %d (%.40q)", i, first)
		if cell["execution_count"] == nil {
			problems = append(problems, where+" was not executed")
		}
		outs, _ := cell["outputs"].([]any)
		if len(outs) == 0 {
			problems = append(problems, where+" has no outputs")
		}
		for _, o := range outs {
			if om, _ := o.(map[string]any); om != nil && om["output_type"] == "error" {
				problems = append(problems, fmt.Sprintf("%s has an error output: %v: %v", where, om["ename"], om["evalue"]))
			}
		}
		meta, _ := cell["metadata"].(map[string]any)
		stamp, _ := meta[StampKey].(map[string]any)
		switch h, _ := stamp["source_sha256"].(string); {
		case h == "":
			problems = append(problems, where+" has no source hash (metadata."+StampKey+".source_sha256)")
		case h != SourceHash(src):
			problems = append(problems, where+" changed since its outputs were made (source hash differs)")
		}
	})
	if err != nil {
		return nil, err
	}
	return problems, nil
}

// eachCodeCell calls fn with the index, object and source of every code
// cell; a cell that is not an object or whose source is malformed is an
// error naming the notebook and the cell.
func eachCodeCell(name string, cells []any, fn func(i int, cell map[string]any, src string)) error {
	for i, c := range cells {
		cell, ok := c.(map[string]any)
		if !ok {
			return errors.Errorf("%s: cell %d is not an object", name, i)
		}
		if cell["cell_type"] != "code" {
			continue
		}
		src, err := ipynbSource(cell["source"])
		if err != nil {
			return errors.Errorf("%s: cell %d: %v", name, i, err)
		}
		fn(i, cell, src)
	}
	return nil
}
