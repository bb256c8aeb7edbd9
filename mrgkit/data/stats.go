package data

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Dataset statistics: label states, report lengths and words, and the
// studies a notebook shows (01_data; figures from them: plots.DatasetFigures).

// LabelCount is how many studies have each state of one observation.
type LabelCount struct {
	Observation                          string
	Positive, Negative, Uncertain, Blank int
}

// LabelCounts counts label states per CheXpert observation over the
// entries that carry labels; unlabeled is the number without labels.
func LabelCounts(entries []Entry) (counts []LabelCount, unlabeled int) {
	counts = make([]LabelCount, chexpert.NumObservations)
	for i, o := range chexpert.Observations {
		counts[i].Observation = o
	}
	for _, e := range entries {
		if e.Labels == nil {
			unlabeled++
			continue
		}
		for i, s := range e.Labels {
			switch s {
			case chexpert.Positive:
				counts[i].Positive++
			case chexpert.Negative:
				counts[i].Negative++
			case chexpert.Uncertain:
				counts[i].Uncertain++
			default:
				counts[i].Blank++
			}
		}
	}
	return counts, unlabeled
}

// ReportLengths returns the number of words of each cleaned report.
func ReportLengths(entries []Entry, clean func(string) string) []float64 {
	out := make([]float64, len(entries))
	for i, e := range entries {
		out[i] = float64(len(PyFields(clean(e.Report))))
	}
	return out
}

// WordCount is a word and its number of occurrences.
type WordCount struct {
	Word  string
	Count int
}

// WordCounts counts the words (whitespace-separated tokens, as the
// vocabulary) of cleaned reports, most frequent first, ties alphabetically.
func WordCounts(cleaned []string) []WordCount {
	m := map[string]int{}
	for _, r := range cleaned {
		for _, w := range PyFields(r) {
			m[w]++
		}
	}
	out := make([]WordCount, 0, len(m))
	for w, c := range m {
		out = append(out, WordCount{w, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Word < out[j].Word
	})
	return out
}

// CleanAll applies clean to every entry's report.
func CleanAll(entries []Entry, clean func(string) string) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = clean(e.Report)
	}
	return out
}

// SummaryHeader is the header of DatasetSummary rows.
var SummaryHeader = []string{"dataset", "train / val / test", "labelled", "mean words", "max words", "vocabulary (threshold 3)"}

// DatasetSummary is one row comparing datasets: split sizes, how many
// studies carry labels, report length and vocabulary size.
func DatasetSummary(name string, ann *Annotation, clean func(string) string) []string {
	all := ann.All()
	lens := ReportLengths(all, clean)
	mean, longest := 0.0, 0.0
	for _, l := range lens {
		mean += l
		longest = max(longest, l)
	}
	if len(lens) > 0 {
		mean /= float64(len(lens))
	}
	_, unlabeled := LabelCounts(all)
	vocab := BuildVocab(CleanAll(ann.Train, clean), 3)
	return []string{name, fmt.Sprintf("%d / %d / %d", len(ann.Train), len(ann.Val), len(ann.Test)),
		fmt.Sprint(len(all) - unlabeled), fmt.Sprintf("%.1f", mean), fmt.Sprint(longest), fmt.Sprint(vocab.Size())}
}

// ExampleStudies picks, in order, up to withFindings entries that have a
// positive finding (an observation other than No Finding) and up to normal
// entries that have none (or no labels), findings first.
func ExampleStudies(entries []Entry, withFindings, normal int) []Entry {
	var found, plain []Entry
	for _, e := range entries {
		if hasFinding(e.Labels) {
			if len(found) < withFindings {
				found = append(found, e)
			}
		} else if len(plain) < normal {
			plain = append(plain, e)
		}
		if len(found) == withFindings && len(plain) == normal {
			break
		}
	}
	return append(found, plain...)
}

func hasFinding(l *chexpert.Labels) bool {
	if l == nil {
		return false
	}
	for i, s := range l {
		if i != chexpert.NoFinding && s == chexpert.Positive {
			return true
		}
	}
	return false
}

// WithImages returns up to n entries whose image files all exist under
// imageRoot (n <= 0: all).
func WithImages(imageRoot string, entries []Entry, n int) []Entry {
	var out []Entry
	for _, e := range entries {
		if len(e.ImagePaths) == 0 {
			continue
		}
		ok := true
		for _, rel := range e.ImagePaths {
			if _, err := os.Stat(filepath.Join(imageRoot, rel)); err != nil {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, e)
			if n > 0 && len(out) == n {
				break
			}
		}
	}
	return out
}
