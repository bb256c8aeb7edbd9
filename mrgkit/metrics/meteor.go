package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// METEOR 1.5 English ("en") parameters: alpha, beta, gamma, delta, and the
// module weights exact, stem, synonym, paraphrase.
const (
	meteorAlpha = 0.85
	meteorBeta  = 0.2
	meteorGamma = 0.6
	meteorDelta = 0.75
)

var meteorModuleWeights = [numModules]float64{1.0, 0.6, 0.8, 0.6}

// MeteorOptions configures Meteor beyond the defaults.
type MeteorOptions struct {
	// Synonyms are the synonym module's dictionary. nil: WordNet 3.0 when
	// installed (DefaultWordNet), unless NoWordNet.
	Synonyms *Synonyms
	// NoWordNet turns the WordNet default off (exact and stem only, unless
	// Synonyms is given).
	NoWordNet bool
	// FunctionWords replaces DefaultFunctionWords (lower-case tokens).
	FunctionWords map[string]bool
	// Capped, when not nil, is incremented once per hypothesis-reference
	// pair whose alignment hit MeteorMaxCandidates (where the score may
	// differ from the jar's), so that callers can say so.
	Capped *int
}

// Meteor returns the corpus METEOR the coco-caption wrapper reports, computed
// by a Go re-implementation of Meteor 1.5 (`-l en -norm`) with the exact and
// stem modules, the synonym module when WordNet is installed, and
// DefaultFunctionWords. See MeteorWith and MeteorModules.
func Meteor(gts, res map[string][]string) (float64, error) {
	return MeteorWith(gts, res, MeteorOptions{})
}

// MeteorWith is Meteor with options.
//
// What it reproduces of the jar as pycocoevalcap runs it: the wrapper's
// munging of the hypothesis ("|||" removed, double spaces halved); Meteor's
// English normalisation and lower-casing; per reference, the jar's aligner
// (exact, then stem, then synonym candidates; words compared by Java string
// hash; unambiguous matches fixed; beam search of width 40 with the jar's
// integer-truncated search weights and its comparator; chunk counting);
// content/function word weighting (delta 0.75); the best reference by
// segment score; and the corpus score computed from the summed sufficient
// statistics (MeteorStats.addStats: lengths and matches summed, chunks of
// perfectly matching segments left out), NOT the mean of segment scores.
// Score = Fmean * (1 - 0.6 * (chunks/avg matches)^0.2), Fmean = P R /
// (0.85 P + 0.15 R) on weighted matches.
//
// Where it may differ from the jar:
//   - no paraphrase module (the jar's paraphrase-en table is not shipped):
//     phrases the jar would match as paraphrases score as unmatched, and a
//     paraphrase candidate that would have competed in the search is absent;
//   - the synonym module's WordNet is derived at run time from an installed
//     WordNet 3.0 (wordnet-base; see LoadWordNet), not the jar's own data
//     files; without it installed (or with NoWordNet) there are no synonym
//     matches;
//   - the function-word list is this package's own (DefaultFunctionWords),
//     not the jar's english.words; pass the jar's list via FunctionWords to
//     remove this difference;
//   - normalisation without the jar's non-breaking-prefix list (Mr., Dr.,
//     single capitals): "Dr. Smith" becomes "dr . smith" here;
//   - lower-casing per rune (Go) instead of Java's locale-aware toLowerCase;
//   - newlines or "|||" inside a reference, which break the jar's line
//     protocol, are plain text here.
//
// With the same function words and synonyms, and without paraphrases, the
// numbers equal a Meteor 1.5 build from source (tests: to 1e-9).
func MeteorWith(gts, res map[string][]string, opt MeteorOptions) (float64, error) {
	ids, err := checkInput(gts, res)
	if err != nil {
		return 0, err
	}
	sc, err := newMeteorScorer(opt)
	if err != nil {
		return 0, err
	}
	var agg meteorStats
	for _, id := range ids {
		st := sc.segment(res[id][0], gts[id])
		agg.add(&st)
	}
	return agg.score(), nil
}

// MeteorSegments returns each id's segment score (the jar's per-segment
// output), for inspection.
func MeteorSegments(gts, res map[string][]string, opt MeteorOptions) (map[string]float64, error) {
	ids, err := checkInput(gts, res)
	if err != nil {
		return nil, err
	}
	sc, err := newMeteorScorer(opt)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(ids))
	for _, id := range ids {
		st := sc.segment(res[id][0], gts[id])
		out[id] = st.score()
	}
	return out, nil
}

type meteorScorer struct {
	syn       *Synonyms
	funcWords map[string]bool
	stems     map[string]string
	synSets   map[string][]int32
	capped    *int
}

func newMeteorScorer(opt MeteorOptions) (*meteorScorer, error) {
	fw := opt.FunctionWords
	if fw == nil {
		fw = DefaultFunctionWords
	}
	syn, err := opt.synonyms()
	if err != nil {
		return nil, err
	}
	return &meteorScorer{syn: syn, funcWords: fw, stems: map[string]string{}, synSets: map[string][]int32{}, capped: opt.Capped}, nil
}

// synonyms is the dictionary the synonym module uses: Synonyms, else
// WordNet when installed and not NoWordNet, else nil.
func (opt MeteorOptions) synonyms() (*Synonyms, error) {
	if opt.Synonyms != nil || opt.NoWordNet {
		return opt.Synonyms, nil
	}
	syn, _, err := DefaultWordNet()
	return syn, err
}

// sets is Synonyms.sets as a sorted list, cached per word.
func (m *meteorScorer) sets(w string) []int32 {
	if s, ok := m.synSets[w]; ok {
		return s
	}
	set := m.syn.sets(w)
	s := make([]int32, 0, len(set))
	for id := range set {
		s = append(s, id)
	}
	slices.Sort(s)
	m.synSets[w] = s
	return s
}

func (m *meteorScorer) stem(w string) string {
	if s, ok := m.stems[w]; ok {
		return s
	}
	s := Stem(w)
	m.stems[w] = s
	return s
}

// segment scores one hypothesis against its references like the jar's SCORE
// line and returns the statistics of the best-scoring reference.
func (m *meteorScorer) segment(hyp string, refs []string) meteorStats {
	hyp = strings.ReplaceAll(strings.ReplaceAll(hyp, "|||", ""), "  ", " ")
	var split []string
	for _, r := range refs {
		split = append(split, strings.Split(r, "|||")...)
	}
	h := meteorNormalize(javaTrim(hyp))
	best := meteorStats{}
	bestScore := -1.0
	for _, r := range split {
		a, capped := m.align(h, meteorNormalize(javaTrim(r)))
		if capped && m.capped != nil {
			*m.capped++
		}
		st := statsFromAlignment(a)
		if s := st.score(); s > bestScore {
			best, bestScore = st, s
		}
	}
	return best
}

func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// meteorStats are Meteor's sufficient statistics.
type meteorStats struct {
	testLen, refLen     float64
	testFunc, refFunc   float64
	tc, rc, tf, rf      [numModules]float64
	chunks              float64
	testWords, refWords float64 // word matches (for the fragmentation)
}

func statsFromAlignment(a alignment) meteorStats {
	s := meteorStats{testLen: float64(a.len1), refLen: float64(a.len2), testFunc: float64(a.func1), refFunc: float64(a.func2), chunks: float64(a.chunks)}
	for i := 0; i < numModules; i++ {
		s.tc[i], s.rc[i] = float64(a.content1[i]), float64(a.content2[i])
		s.tf[i], s.rf[i] = float64(a.function1[i]), float64(a.function2[i])
		s.testWords += s.tc[i] + s.tf[i]
		s.refWords += s.rc[i] + s.rf[i]
	}
	return s
}

func (s *meteorStats) totals() (test, ref float64) {
	for i := 0; i < numModules; i++ {
		test += s.tc[i]
		test += s.tf[i]
		ref += s.rc[i]
		ref += s.rf[i]
	}
	return
}

func (s *meteorStats) perfect() bool {
	t, r := s.totals()
	return t == s.testLen && r == s.refLen && s.chunks == 1
}

// add is MeteorStats.addStats.
func (s *meteorStats) add(o *meteorStats) {
	s.testLen += o.testLen
	s.refLen += o.refLen
	s.testFunc += o.testFunc
	s.refFunc += o.refFunc
	for i := 0; i < numModules; i++ {
		s.tc[i] += o.tc[i]
		s.rc[i] += o.rc[i]
		s.tf[i] += o.tf[i]
		s.rf[i] += o.rf[i]
	}
	if !o.perfect() {
		s.chunks += o.chunks
	}
	s.testWords += o.testWords
	s.refWords += o.refWords
}

// score is MeteorScorer.computeMetrics.
func (s *meteorStats) score() float64 {
	const d = meteorDelta
	twl := d*(s.testLen-s.testFunc) + (1.0-d)*s.testFunc
	rwl := d*(s.refLen-s.refFunc) + (1.0-d)*s.refFunc
	var twm, rwm float64
	for i := 0; i < numModules; i++ {
		twm += s.tc[i] * meteorModuleWeights[i] * d
	}
	for i := 0; i < numModules; i++ {
		rwm += s.rc[i] * meteorModuleWeights[i] * d
	}
	for i := 0; i < numModules; i++ {
		twm += s.tf[i] * meteorModuleWeights[i] * (1.0 - d)
	}
	for i := 0; i < numModules; i++ {
		rwm += s.rf[i] * meteorModuleWeights[i] * (1.0 - d)
	}
	p := twm / twl
	r := rwm / rwl
	fMean := 1.0 / (((1.0 - meteorAlpha) / p) + (meteorAlpha / r))
	var frag float64
	if s.perfect() {
		frag = 0
	} else {
		frag = s.chunks / ((s.testWords + s.refWords) / 2)
	}
	pen := meteorGamma * math.Pow(frag, meteorBeta)
	score := fMean * (1.0 - pen)
	if math.IsNaN(score) {
		return 0
	}
	return math.Max(score, 0)
}

// Synonyms is a synonym dictionary for Meteor's synonym module: each
// non-empty line of its file is one synset (words separated by spaces;
// multi-word entries joined with "_" never match single tokens).
type Synonyms struct {
	word  map[string][]int32
	bases map[string][]string // WordNet exception lists: inflected form -> base forms
	// source says where the dictionary came from (for MeteorModules).
	source string
}

// LoadSynonyms reads a synonym file (one synset per line).
func LoadSynonyms(r io.Reader) (*Synonyms, error) {
	s := &Synonyms{word: map[string][]int32{}, source: "synonym file"}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	id := int32(0)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		for _, w := range f {
			s.word[w] = append(s.word[w], id)
		}
		id++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: reading synonyms: %w", err)
	}
	return s, nil
}

// sets returns the synsets of w plus those of its base forms (the jar's
// getSynSets + getStemSynSets): the bases of WordNet's exception lists
// where w has an entry there, else the suffix rules' base.
func (s *Synonyms) sets(w string) map[int32]bool {
	out := map[int32]bool{}
	for _, id := range s.word[w] {
		out[id] = true
	}
	if bases, ok := s.bases[w]; ok {
		for _, b := range bases {
			for _, id := range s.word[b] {
				out[id] = true
			}
		}
		return out
	}
	for _, id := range s.word[s.morph(w)] {
		out[id] = true
	}
	return out
}

var (
	morphSuffix = []string{"s", "ses", "xes", "zes", "ches", "shes", "men", "ies",
		"s", "ies", "es", "es", "ed", "ed", "ing", "ing", "er", "est", "er", "est"}
	morphAdd = []string{"", "s", "x", "z", "ch", "sh", "man", "y",
		"", "y", "e", "", "e", "", "e", "", "", "", "e", "e"}
)

// morph is the jar's WordNet-style morphological reduction: the first
// suffix rule whose result is a dictionary word ("" if none).
func (s *Synonyms) morph(w string) string {
	end := ""
	if strings.HasSuffix(w, "ful") {
		end = "ful"
	}
	if strings.HasSuffix(w, "ss") || len([]rune(w)) <= 2 {
		return w
	}
	for i, suf := range morphSuffix {
		if !strings.HasSuffix(w, suf) {
			continue
		}
		base := w[:len(w)-len(suf)] + morphAdd[i]
		if _, ok := s.word[base]; ok {
			return base + end
		}
	}
	return ""
}

// DefaultFunctionWords is this package's English function-word list for
// METEOR's delta weighting: articles, common prepositions and conjunctions,
// auxiliaries, pronouns and punctuation tokens. It is NOT the jar's list.
var DefaultFunctionWords = wordSet(`the a an and or but nor of to in on at by for with from into as
than that this these those which who whom whose what there it its he she they we i you him her his
their them us our me my your is are was were be been being am has have had do does did will would
can could shall should not so if then also up out about over after . , ; : ? ! " ' ( ) - 's`)

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		out[w] = true
	}
	return out
}

// ReadWordList reads a function-word file (one word per line).
func ReadWordList(r io.Reader) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out[sc.Text()] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: reading word list: %w", err)
	}
	return out, nil
}
