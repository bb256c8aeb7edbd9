package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/atomicfile"
	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Splits are the three split names of an R2Gen annotation, in file order.
var Splits = [...]string{"train", "val", "test"}

// Entry is one study of an R2Gen-format annotation.
type Entry struct {
	ID         string
	Report     string
	ImagePaths []string // relative to the image root; [frontal, lateral] for IU X-Ray
	Split      string
	// Index is the entry's position in its split's list in the file (for messages).
	Index int
	// Labels are the 14 CheXpert states (optional: nil when the file has none).
	Labels *chexpert.Labels
}

// entryJSON is Entry's on-disk form.
type entryJSON struct {
	ID         *string           `json:"id"`
	Report     *string           `json:"report"`
	ImagePaths []string          `json:"image_path"`
	Split      string            `json:"split,omitempty"`
	Labels     []json.RawMessage `json:"labels,omitempty"`
}

// MarshalJSON writes the R2Gen layout (id, report, image_path, split, labels).
func (e Entry) MarshalJSON() ([]byte, error) {
	type out struct {
		ID         string           `json:"id"`
		Report     string           `json:"report"`
		ImagePaths []string         `json:"image_path"`
		Split      string           `json:"split,omitempty"`
		Labels     *chexpert.Labels `json:"labels,omitempty"`
	}
	paths := e.ImagePaths
	if paths == nil {
		paths = []string{}
	}
	return json.Marshal(out{e.ID, e.Report, paths, e.Split, e.Labels})
}

// Annotation is an R2Gen annotation.json: three lists of entries.
type Annotation struct {
	Train, Val, Test []Entry
}

// Split returns the entries of "train", "val" or "test".
func (a *Annotation) Split(name string) ([]Entry, error) {
	switch name {
	case "train":
		return a.Train, nil
	case "val":
		return a.Val, nil
	case "test":
		return a.Test, nil
	}
	return nil, errors.Errorf("unknown split %q (want train, val or test)", name)
}

// All returns every entry, train then val then test.
func (a *Annotation) All() []Entry {
	all := make([]Entry, 0, len(a.Train)+len(a.Val)+len(a.Test))
	all = append(all, a.Train...)
	all = append(all, a.Val...)
	return append(all, a.Test...)
}

// Problem is one invalid entry found while loading an annotation.
type Problem struct {
	File  string
	Split string
	Index int    // position in the split's list
	ID    string // "" when the entry has none
	Msg   string
}

func (p Problem) String() string {
	id := ""
	if p.ID != "" {
		id = fmt.Sprintf(" (id %q)", p.ID)
	}
	return fmt.Sprintf("%s: %s[%d]%s: %s", p.File, p.Split, p.Index, id, p.Msg)
}

// ValidationError lists every invalid entry of an annotation.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d invalid entr", e.File, len(e.Problems))
	if len(e.Problems) == 1 {
		b.WriteString("y")
	} else {
		b.WriteString("ies")
	}
	for i, p := range e.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-10)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// LoadAnnotation reads and validates an R2Gen annotation.json. Every entry
// needs an id, a non-empty report and at least one image path; ids must be
// unique; labels, when present, are 14 states (1, 0, -1 or null). Invalid
// entries are all reported in a *ValidationError naming file, split and index.
func LoadAnnotation(path string) (*Annotation, error) {
	b, err := readRegular(path, MaxAnnotationBytes, "annotation")
	if err != nil {
		return nil, err
	}
	return ParseAnnotation(path, b)
}

// MaxAnnotationBytes bounds annotation.json (MIMIC-CXR's is about 150 MB).
const MaxAnnotationBytes = 4 << 30

// readRegular reads a regular file of at most limit bytes: a device, a FIFO
// or a file growing without end is refused instead of read forever.
func readRegular(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", what)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", what)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.Errorf("%s: not a regular file (%s)", path, st.Mode().Type())
	}
	if st.Size() > limit {
		return nil, errors.Errorf("%s: %s is %d bytes, over the limit of %d", path, what, st.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s %s", what, path)
	}
	if int64(len(b)) > limit {
		return nil, errors.Errorf("%s: %s is over the limit of %d bytes", path, what, limit)
	}
	return b, nil
}

// ParseAnnotation is LoadAnnotation on bytes; name is used in error messages.
func ParseAnnotation(name string, b []byte) (*Annotation, error) {
	if !utf8.Valid(b) {
		off := invalidUTF8Offset(b)
		line, col := lineCol(b, off)
		return nil, errors.Errorf("%s:%d:%d: text is not valid UTF-8 (byte offset %d)", name, line, col, off)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, jsonError(name, b, err)
	}
	if top == nil {
		return nil, errors.Errorf("%s: want a JSON object with train, val and test lists", name)
	}
	a := &Annotation{}
	verr := &ValidationError{File: name}
	seen := map[string]string{} // id -> "split[index]"
	for _, split := range Splits {
		raw, ok := top[split]
		if !ok {
			return nil, errors.Errorf("%s: missing split %q (want train, val and test lists)", name, split)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || (items == nil && string(bytes.TrimSpace(raw)) != "[]") {
			return nil, errors.Errorf("%s: split %q is not a list of entries", name, split)
		}
		entries := make([]Entry, 0, len(items))
		for i, item := range items {
			e, msg := parseEntry(item, split)
			e.Index = i
			if msg == "" && e.ID != "" {
				if where, dup := seen[e.ID]; dup {
					msg = "duplicate id, first seen at " + where
				} else {
					seen[e.ID] = fmt.Sprintf("%s[%d]", split, i)
				}
			}
			if msg != "" {
				verr.Problems = append(verr.Problems, Problem{File: name, Split: split, Index: i, ID: e.ID, Msg: msg})
				continue
			}
			entries = append(entries, e)
		}
		switch split {
		case "train":
			a.Train = entries
		case "val":
			a.Val = entries
		case "test":
			a.Test = entries
		}
	}
	if len(verr.Problems) > 0 {
		return a, verr
	}
	return a, nil
}

// parseEntry decodes and validates one entry; msg is "" when it is valid.
func parseEntry(item json.RawMessage, split string) (e Entry, msg string) {
	var j entryJSON
	if err := json.Unmarshal(item, &j); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return e, fmt.Sprintf("field %q: want %s, got JSON %s", ute.Field, ute.Type, ute.Value)
		}
		return e, "not a JSON object with id, report and image_path: " + err.Error()
	}
	if j.ID != nil {
		e.ID = *j.ID
	}
	switch {
	case j.ID == nil:
		return e, `missing "id"`
	case strings.TrimSpace(*j.ID) == "":
		return e, `empty "id"`
	case j.Report == nil:
		return e, `missing "report"`
	case strings.TrimSpace(*j.Report) == "":
		return e, `empty "report"`
	case len(j.ImagePaths) == 0:
		return e, `missing or empty "image_path"`
	}
	for k, p := range j.ImagePaths {
		if strings.TrimSpace(p) == "" {
			return e, fmt.Sprintf("image_path[%d] is empty", k)
		}
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return e, fmt.Sprintf("image_path[%d] %q must be relative to the image root", k, p)
		}
	}
	if j.Split != "" && j.Split != split {
		return e, fmt.Sprintf("entry says split %q but is listed under %q", j.Split, split)
	}
	e.Report = *j.Report
	e.ImagePaths = j.ImagePaths
	e.Split = split
	if j.Labels != nil {
		if len(j.Labels) != chexpert.NumObservations {
			return e, fmt.Sprintf("labels: want %d states, got %d", chexpert.NumObservations, len(j.Labels))
		}
		var l chexpert.Labels
		for k, r := range j.Labels {
			if err := json.Unmarshal(r, &l[k]); err != nil {
				return e, fmt.Sprintf("labels[%d] (%s): %v", k, chexpert.Observations[k], err)
			}
		}
		e.Labels = &l
	}
	return e, ""
}

// AnnotationFile is the annotation of a dataset directory (R2Gen's
// annotation.json: the train, val and test splits).
const AnnotationFile = "annotation.json"

// AnnotationPath is the annotation file of a dataset directory.
func AnnotationPath(dir string) string { return filepath.Join(dir, AnnotationFile) }

// Save writes the annotation as R2Gen JSON, atomically (temporary file + rename).
func (a *Annotation) Save(path string) error {
	m := map[string][]Entry{"train": nonNil(a.Train), "val": nonNil(a.Val), "test": nonNil(a.Test)}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return errors.Wrap(err, "encoding annotation")
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

func nonNil(e []Entry) []Entry {
	if e == nil {
		return []Entry{}
	}
	return e
}

func jsonError(name string, b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(b, int(se.Offset))
		return errors.Errorf("%s:%d:%d: malformed JSON: %v", name, line, col, se)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return errors.Errorf("%s: want a JSON object with train, val and test lists, got JSON %s", name, ute.Value)
	}
	return errors.Errorf("%s: malformed JSON: %v", name, err)
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func lineCol(b []byte, off int) (line, col int) {
	if off > len(b) {
		off = len(b)
	}
	line = 1 + bytes.Count(b[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}
