package data

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/pkg/errors"
)

// CheckProblem is one problem Check found: an entry the annotation's
// validation rejects (Image -1), or one of an entry's images that does not
// decode.
type CheckProblem struct {
	Split string
	Index int    // the entry's position in its split's list
	Image int    // the image's position in the entry's image_path; -1: the entry itself
	Text  string // the message, naming the file, the split, the entry and the image
}

// CheckResult is what Check found in an annotation and its images.
type CheckResult struct {
	Annotation string         // the annotation file
	Entries    map[string]int // entries per split (Splits), rejected ones included
	Bad        int            // entries with at least one problem
	Images     int            // images decoded
	Sizes      []string       // "WxH xN" for each decoded image size, sorted
	Problems   []CheckProblem // by split (Splits order), entry and image
}

// Total is the number of entries of all splits.
func (r *CheckResult) Total() int {
	n := 0
	for _, s := range Splits {
		n += r.Entries[s]
	}
	return n
}

// Check validates every entry of the annotation at annPath and decodes
// every image of the valid entries under imageRoot (in parallel, within
// Limits). Invalid entries and undecodable images are Problems of the
// result; the error is for an annotation that cannot be read at all
// (missing, malformed JSON, a split missing).
func Check(annPath, imageRoot string) (*CheckResult, error) {
	ann, err := LoadAnnotation(annPath)
	splitOrder := map[string]int{}
	for i, s := range Splits {
		splitOrder[s] = i
	}
	type problem struct {
		split, index, image int
		text                string
	}
	var problems []problem
	var verr *ValidationError
	switch {
	case errors.As(err, &verr):
		for _, p := range verr.Problems {
			problems = append(problems, problem{splitOrder[p.Split], p.Index, -1, p.String()})
		}
	case err != nil:
		return nil, err
	}
	res := &CheckResult{Annotation: annPath, Entries: map[string]int{}}
	// Decode every image of the valid entries in parallel.
	var mu sync.Mutex
	jobs := make(chan Entry)
	var wg sync.WaitGroup
	sizes := map[string]int{}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range jobs {
				for k, p := range e.ImagePaths {
					img, err := DecodeImage(filepath.Join(imageRoot, p))
					mu.Lock()
					if err != nil {
						problems = append(problems, problem{splitOrder[e.Split], e.Index, k,
							fmt.Sprintf("%s: %s[%d] (id %q): image_path[%d]: %v", annPath, e.Split, e.Index, e.ID, k, errors.Cause(err))})
					} else {
						res.Images++
						sizes[fmt.Sprintf("%dx%d", img.W, img.H)]++
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, split := range Splits {
		es, _ := ann.Split(split)
		res.Entries[split] = len(es)
		for _, e := range es {
			jobs <- e
		}
	}
	close(jobs)
	wg.Wait()
	sort.Slice(problems, func(a, b int) bool {
		p, q := problems[a], problems[b]
		if p.split != q.split {
			return p.split < q.split
		}
		if p.index != q.index {
			return p.index < q.index
		}
		return p.image < q.image
	})
	for s, c := range sizes {
		res.Sizes = append(res.Sizes, fmt.Sprintf("%s x%d", s, c))
	}
	sort.Strings(res.Sizes)
	bad := map[[2]int]bool{}
	for _, p := range problems {
		if p.image < 0 { // entries rejected by validation are not in the annotation
			res.Entries[Splits[p.split]]++
		}
		bad[[2]int{p.split, p.index}] = true
		res.Problems = append(res.Problems, CheckProblem{Split: Splits[p.split], Index: p.index, Image: p.image, Text: p.text})
	}
	res.Bad = len(bad)
	return res, nil
}
