package labeler

import "github.com/mrgkit/mrgkit/mrgkit/chexpert"

// mentionKind says how a mention's state is decided.
type mentionKind int8

const (
	// finding: the phrase names the observation; positive unless a
	// negation or uncertainty cue covers it.
	finding mentionKind = iota
	// anatomy: the phrase names a structure (heart, mediastinum, lungs);
	// its state comes from a descriptor (normal / enlarged / stable ...),
	// and without one it gives no label.
	anatomy
	// excluded: a phrase that must not be read as any mention
	// (e.g. "pericardial effusion" is not a pleural effusion).
	excluded
)

// other is the pseudo-observation for abnormalities outside the 14
// (emphysema, granuloma, scoliosis, ...): a positive or uncertain one keeps
// No Finding blank, as in the CheXpert labeler.
const other = -1

// phraseEntry is one mention phrase. Tokens ending in "*" match any token
// with that prefix.
type phraseEntry struct {
	phrase string
	kind   mentionKind
	obs    []int
	// heartToo: an anatomy mention of the cardiomediastinal silhouette; a
	// normal descriptor also makes Cardiomegaly negative.
	heartToo bool
}

func f(phrases string, obs ...int) []phraseEntry { return mk(phrases, finding, obs) }
func a(phrases string, obs ...int) []phraseEntry { return mk(phrases, anatomy, obs) }
func ex(phrases string) []phraseEntry            { return mk(phrases, excluded, nil) }
func mk(phrases string, k mentionKind, obs []int) []phraseEntry {
	var out []phraseEntry
	for _, p := range splitList(phrases) {
		out = append(out, phraseEntry{phrase: p, kind: k, obs: obs})
	}
	return out
}

// splitList splits a "|"-separated phrase list.
func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '|' {
			if p := trimSpace(s[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	return out
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\n' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// phraseTable is every mention phrase. Hyphens and slashes in reports are
// read as spaces, so "air-space" is "air space".
func phraseTable() []phraseEntry {
	var t []phraseEntry
	add := func(es ...[]phraseEntry) {
		for _, e := range es {
			t = append(t, e...)
		}
	}
	add(
		// Enlarged Cardiomediastinum.
		f(`widened mediastinum | mediastinal widening | widening of the mediastinum | mediastinal enlargement |
		   enlarged mediastinum | cardiomediastinal enlargement | enlargement of the cardiomediastinal silhouette |
		   widened cardiomediastinal silhouette | widening of the cardiomediastinal silhouette`, chexpert.EnlargedCardiomediastinum),
		a(`mediastinum | mediastinal contour* | mediastinal silhouette | mediastinal configuration |
		   mediastinal structures | mediastinal | superior mediastinum | pericardial silhouette`, chexpert.EnlargedCardiomediastinum),
		// Cardiomegaly.
		f(`cardiomegaly | cardiac enlargement | enlarged heart | enlargement of the heart |
		   enlargement of the cardiac silhouette | enlarged cardiac silhouette | cardiac silhouette enlargement`, chexpert.Cardiomegaly),
		a(`heart | heart size | cardiac silhouette | cardiac size | cardiac contour* | cardiac shadow |
		   heart shadow | cardiac | cardiopericardial silhouette | cardiothymic silhouette | heart contour*`, chexpert.Cardiomegaly),
		// Lung Opacity.
		f(`opaci* | infiltrat* | airspace disease | air space disease | airspace process | air space process |
		   alveolar process | increased density | interstitial marking* | interstitial pattern | interstitial prominence |
		   reticular marking* | reticular pattern | reticulation | reticulonodular | scarring | scar | scars |
		   parenchymal scarring | peribronchial thickening | bronchial wall thickening | ground glass`, chexpert.LungOpacity),
		a(`lungs | lung | lung fields | lung parenchyma | lungs fields`, chexpert.LungOpacity),
		// Lung Lesion.
		f(`nodular opacit* | nodular opacification`, chexpert.LungLesion, chexpert.LungOpacity),
		f(`mass | masses | nodul* | micronodul* | lung lesion | pulmonary lesion | cavitary lesion | cavitation |
		   tumor | tumour | neoplasm | carcinoma | malignancy | lump`, chexpert.LungLesion),
		// Edema (heart failure also makes Cardiomegaly uncertain, see classify).
		f(`edema | oedema | heart failure | chf | vascular congestion | pulmonary congestion | congestion |
		   fluid overload | volume overload`, chexpert.Edema),
		// Consolidation, Pneumonia, Atelectasis.
		f(`consolidat*`, chexpert.Consolidation),
		f(`pneumonia* | bronchopneumonia | infection | infectious | infectious process`, chexpert.Pneumonia),
		f(`atelecta* | collapse | collapsed`, chexpert.Atelectasis),
		// Pneumothorax, Pleural Effusion, Pleural Other.
		f(`pneumothora* | ptx`, chexpert.Pneumothorax),
		f(`hydropneumothorax`, chexpert.Pneumothorax, chexpert.PleuralEffusion),
		f(`effusion | effusions | pleural fluid | hydrothorax | fluid in the fissure`, chexpert.PleuralEffusion),
		ex(`pericardial effusion | pericardial effusions | joint effusion`),
		f(`pleural thickening | pleural scar* | pleuroparenchymal scar* | pleural parenchymal scar* |
		   pleuro parenchymal scar* | fibrothorax | pleural plaque* | fibrosis | pleural calcification*`, chexpert.PleuralOther),
		// Fracture.
		f(`fracture* | fx`, chexpert.Fracture),
		// Support Devices.
		f(`picc | picc line | central line | central venous line | central venous catheter | arterial line | venous line |
		   midline catheter | catheter | catheters | tube | tubes | endotracheal | et tube | ng tube | og tube | nasogastric |
		   orogastric | dobhoff | enteric | chest tube | tracheostomy | pacemaker | pacemakers | pacer | pacing |
		   defibrillator | icd | aicd | leads | lead | wire | wires | sternotomy | clip | clips | staples | suture | sutures |
		   hardware | fixation | plate | screw | screws | rod | rods | prosthesis | prosthetic | arthroplasty |
		   valve replacement | prosthetic valve | mechanical valve | annuloplasty | stent | stents | port | ports |
		   port a cath | portacath | mediport | coil | coils | ivc filter | drain | drains | swan ganz | device | devices |
		   loop recorder | electrode | electrodes | line tip | lines and tubes | tubes and lines | monitoring leads`, chexpert.SupportDevices),
		// Abnormalities outside the 14 (keep No Finding blank when present).
		f(`emphysema* | hyperinflat* | hyperexpan* | copd | granuloma* | calcifi* | calcified nodul* |
		   calcified lung nodul* | calcified pulmonary nodul* | scoliosis | dextroscoliosis | levoscoliosis |
		   kyphosis | kyphotic | degenerat* | osteophyt* | osteopenia | hernia | eventration | elevation | elevated |
		   blunting | blunted | cephalization | bulla | bullae | bullous | thickening | plaque | plaques |
		   atherosclero* | metasta* | pneumomediastinum | pneumoperitoneum | contusion | hemorrhage | hematoma |
		   deformity | volume loss | prominen* | density | densities | bronchitis | aspiration | inflam* |
		   hypertension | arthropathy | cuffing | granulomatous infection | granulomatous disease`, other),
		ex(`no finding* | plate like | platelike`),
	)
	t = append(t,
		phraseEntry{phrase: "cardiomediastinal silhouette", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardiomediastinal contour*", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardiomediastinal", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardiomediastinum", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardio mediastinal silhouette*", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardio mediastinal contour*", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardio mediastinal", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "cardiomediastinal structures", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum}, heartToo: true},
		phraseEntry{phrase: "heart and mediastinum", kind: anatomy, obs: []int{chexpert.EnlargedCardiomediastinum, chexpert.Cardiomegaly}},
	)
	return t
}

// Cue lists. Each entry is a phrase of whole tokens.
var (
	// Checked first: uncertainty that contains a negation word.
	preNegUncertain = splitList(`cannot exclude | can not exclude | cannot be excluded | can not be excluded |
		cannot rule out | can not rule out | cannot be ruled out | not excluded | not be excluded | cant exclude |
		cannot entirely exclude | not entirely excluded | not ruled out | difficult to exclude | not excluded`)
	negationPre = splitList(`no | not | without | free of | negative for | absence of | absent | no evidence of |
		no signs of | no sign of | clear of | resolution of | resolved | removal of | removed | rule out | ruled out |
		to exclude | exclude | excluded | history of | neither | nor | never | none | interval resolution of |
		resolving | cleared | no longer`)
	negationPost = splitList(`not seen | not identified | not visualized | not visible | not demonstrated |
		not present | not evident | not appreciated | not noted | not apparent | not detected | is absent | are absent |
		absent | has resolved | have resolved | resolved | has cleared | have cleared | cleared | removed | no longer |
		is negative | are negative | not enlarged | not widened`)
	uncertainPre = splitList(`possible | possibly | probable | probably | likely | may | might | could | questionable |
		question of | questioned | suspect | suspected | suspicious | suspicion | concerning | concern for | worrisome |
		suggest | suggests | suggesting | suggestive | consider | considered | consideration | versus | vs |
		differential | presumably | presumed | may represent | could represent | possibly represents |
		indeterminate | equivocal | may represent | cannot exclude | borderline | and or | uncertain | ?`)
	// A mention after these is not an assertion ("evaluation for
	// pneumothorax is limited"): no label.
	nonAssertion = splitList(`evaluation for | evaluate for | evaluated for | assess for | assessment for |
		assessment of | evaluation of`)
	uncertainPost = splitList(`is possible | are possible | possible | suspected | is suspected | are suspected |
		questioned | versus | vs | is likely | are likely | likely present | may be present | and or | is questionable | ?`)
)

// Anatomy descriptors (matched after the mention, first one wins; or
// immediately before it).
var (
	descNormal = splitList(`normal | unremarkable | within normal limits | wnl | upper limits of normal |
		upper limit of normal | top normal | top normal size | grossly normal | not enlarged | not widened |
		no enlargement | no widening | clear | are clear | is clear | negative | normal size | normal in size`)
	descAbnormal = splitList(`enlarged | enlargement | large | increased | widened | widening | wide | enlarging |
		mildly enlarged | moderately enlarged | markedly enlarged`)
	descUncertain = splitList(`stable | unchanged | similar | no change | not changed | grossly stable | borderline`)
)

// clauseBreakers end the scope of a cue.
var clauseBreakers = map[string]bool{
	"but": true, "however": true, "although": true, "though": true, "which": true,
	"whereas": true, "except": true, "while": true, "yet": true, "there": true,
	"aside": true, "apart": true,
}

// commaBreakers: after a comma, these tokens start a new statement.
var commaBreakers = map[string]bool{
	"mild": true, "mildly": true, "moderate": true, "moderately": true, "severe": true,
	"small": true, "large": true, "stable": true, "persistent": true, "new": true,
	"increased": true, "increasing": true, "decreased": true, "worsening": true,
	"improved": true, "improving": true, "minimal": true, "trace": true, "the": true,
	"a": true, "an": true, "heart": true, "lungs": true, "status": true, "bilateral": true,
	"left": true, "right": true, "cardiomegaly": true,
}
