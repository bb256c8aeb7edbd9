package metrics

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// WordNet for METEOR's synonym module, read at run time from an installed
// WordNet 3.0 database (Debian's wordnet-base: /usr/share/wordnet), the
// WordNet version Meteor 1.5's synonym data was made from. Nothing of it is
// copied into the repository.
//
// What Meteor's english.synsets and english.exceptions hold is derived here:
//   - synsets: every lemma of index.noun, index.verb, index.adj and
//     index.adv with the synsets (part of speech + offset) it belongs to;
//     two words match as synonyms when they share one;
//   - exceptions: noun.exc, verb.exc, adj.exc, adv.exc ("inflected base
//     [base...]"): an inflected form's synsets are those of its bases
//     (SynonymDictionary.getStemSynSets), the suffix rules applying only to
//     words without an exception entry.

// DefaultWordNetDir is where Debian's wordnet-base installs WordNet 3.0.
const DefaultWordNetDir = "/usr/share/wordnet"

// WordNetEnv names the environment variable that overrides
// DefaultWordNetDir; "off" disables WordNet.
const WordNetEnv = "MRGKIT_WORDNET"

var wordNetParts = []string{"noun", "verb", "adj", "adv"}

// WordNetDir returns the WordNet database directory METEOR uses by default:
// $MRGKIT_WORDNET if set (""-result for "off"), else DefaultWordNetDir if
// its index files are there, else "".
func WordNetDir() string {
	dir := DefaultWordNetDir
	if v, ok := os.LookupEnv(WordNetEnv); ok && v != "" {
		if v == "off" {
			return ""
		}
		dir = v
	}
	for _, p := range wordNetParts {
		if _, err := os.Stat(filepath.Join(dir, "index."+p)); err != nil {
			return ""
		}
	}
	return dir
}

var wordNetCache struct {
	sync.Mutex
	dir string
	syn *Synonyms
	err error
}

// DefaultWordNet returns the WordNet synonyms of WordNetDir(), loaded once
// per process, and the directory; nil, "" when WordNet is not installed.
func DefaultWordNet() (*Synonyms, string, error) {
	dir := WordNetDir()
	if dir == "" {
		return nil, "", nil
	}
	c := &wordNetCache
	c.Lock()
	defer c.Unlock()
	if c.dir != dir {
		c.syn, c.err = LoadWordNet(dir)
		c.dir = dir
	}
	return c.syn, dir, c.err
}

// LoadWordNet reads the synsets and exception lists of a WordNet 3.0
// database directory (index.* and *.exc files). Errors name the file and line.
func LoadWordNet(dir string) (*Synonyms, error) {
	s := &Synonyms{word: map[string][]int32{}, bases: map[string][]string{}, source: "WordNet " + dir}
	ids := map[string]int32{} // "pos offset" -> synset id
	for _, part := range wordNetParts {
		path := filepath.Join(dir, "index."+part)
		if err := eachLine(path, func(n int, line string) error {
			if strings.HasPrefix(line, " ") || line == "" { // licence header
				return nil
			}
			f := strings.Fields(line)
			// lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
			if len(f) < 6 {
				return fmt.Errorf("%s:%d: want at least 6 fields, got %d", path, n, len(f))
			}
			cnt, err := strconv.Atoi(f[2])
			if err != nil || cnt < 1 || cnt > len(f)-4 {
				return fmt.Errorf("%s:%d: bad synset count %q", path, n, f[2])
			}
			lemma, pos := f[0], f[1]
			for _, off := range f[len(f)-cnt:] {
				key := pos + " " + off
				id, ok := ids[key]
				if !ok {
					id = int32(len(ids))
					ids[key] = id
				}
				s.word[lemma] = append(s.word[lemma], id)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for _, part := range wordNetParts {
		path := filepath.Join(dir, part+".exc")
		if err := eachLine(path, func(n int, line string) error {
			f := strings.Fields(line)
			if len(f) == 0 {
				return nil
			}
			if len(f) < 2 {
				return fmt.Errorf("%s:%d: want \"inflected base...\", got %q", path, n, line)
			}
			s.bases[f[0]] = append(s.bases[f[0]], f[1:]...)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if len(s.word) == 0 {
		return nil, fmt.Errorf("metrics: %s: no WordNet lemmas in index.{noun,verb,adj,adv}", dir)
	}
	return s, nil
}

func eachLine(path string, fn func(n int, line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MeteorModules says which of Meteor's modules run with opt (after the
// WordNet default is applied), e.g. "exact, stem, synonym (WordNet
// /usr/share/wordnet); no paraphrase table".
func MeteorModules(opt MeteorOptions) string {
	syn, _ := opt.synonyms()
	out := "exact, stem"
	if syn != nil {
		out += ", synonym (" + syn.source + ")"
	} else {
		out += " (no synonym module: WordNet not installed or disabled)"
	}
	return out + "; no paraphrase table"
}
