package toycxr

import (
	"math/rand/v2"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// The report grammar: every sentence states positive, negative or uncertain
// findings; the study's labels are exactly what the sentences state.

// numRadiologists is the number of reporting styles: like real reports, a
// study's wording mostly follows its radiologist's habits.
const numRadiologists = 8

// phraser chooses wordings: usually the radiologist's habitual one for a
// statement, sometimes any.
type phraser struct {
	*rand.Rand
	doc int
}

func pick(rng *phraser, options ...string) string {
	if rng.Float64() < 0.7 {
		h := uint32(2166136261)
		for i := 0; i < len(options[0]); i++ {
			h = (h ^ uint32(options[0][i])) * 16777619
		}
		h = (h ^ uint32(rng.doc)) * 16777619
		h ^= h >> 13
		return options[int(h%uint32(len(options)))]
	}
	return options[rng.IntN(len(options))]
}

func sideWord(side int) string {
	switch side {
	case right:
		return "right"
	case left:
		return "left"
	}
	return "bilateral"
}

func lobe(side, zone int) string {
	if side == left && zone == middle {
		return "lingula"
	}
	return sideWord(side) + " " + [...]string{"upper", "middle", "lower"}[zone] + " lobe"
}

func lungZone(rng *phraser, side, zone int) string {
	s := sideWord(side)
	switch zone {
	case upper:
		return pick(rng, s+" upper lung", s+" upper lung zone", s+" apex")
	case middle:
		return pick(rng, s+" midlung", s+" mid lung zone", s+" perihilar region")
	}
	return pick(rng, s+" lung base", s+" lower lung zone", s+" base")
}

func severity(rng *phraser, sev int, words ...string) string {
	if sev >= len(words) {
		sev = len(words) - 1
	}
	return words[sev]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sentence returns the statement of one observation, "" when unstated.
func sentence(rng *phraser, o int, f finding) string {
	st := f.state
	switch o {
	case chexpert.EnlargedCardiomediastinum:
		switch st {
		case chexpert.Positive:
			return pick(rng, "The mediastinum is widened.", "Widened mediastinal silhouette.", "The superior mediastinum is enlarged.",
				"There is widening of the mediastinum.")
		case chexpert.Uncertain:
			return pick(rng, "The mediastinum may be slightly widened.", "Possible mediastinal widening.", "Questionable widening of the superior mediastinum.")
		case chexpert.Negative:
			return pick(rng, "The mediastinum is normal.", "Mediastinal contours are within normal limits.", "The mediastinal silhouette is unremarkable.")
		}
	case chexpert.Cardiomegaly:
		switch st {
		case chexpert.Positive:
			sev := severity(rng, f.severity, "mild", "moderate", "marked")
			return pick(rng, "The heart is enlarged.", "There is "+sev+" cardiomegaly.", "The cardiac silhouette is enlarged.",
				capitalize(sev)+" enlargement of the cardiac silhouette.", "Cardiomegaly is present.")
		case chexpert.Uncertain:
			return pick(rng, "The heart is borderline enlarged.", "Heart size is at the upper limits of normal, possibly mildly enlarged.",
				"Possible mild cardiomegaly.")
		case chexpert.Negative:
			return pick(rng, "The heart is normal in size.", "Heart size is within normal limits.", "No cardiomegaly.",
				"The heart size is normal.", "Normal heart size.")
		}
	case chexpert.LungOpacity:
		loc := lungZone(rng, f.side, f.zone)
		switch st {
		case chexpert.Positive:
			return pick(rng, "There is patchy opacity in the "+loc+".", "Patchy airspace opacity in the "+loc+".",
				"Hazy opacity is seen in the "+loc+".", "There is an infiltrate in the "+loc+".")
		case chexpert.Uncertain:
			return pick(rng, "Possible subtle opacity in the "+loc+".", "There may be a faint opacity in the "+loc+".",
				"Questionable opacity in the "+loc+".")
		case chexpert.Negative:
			return pick(rng, "No focal airspace opacity.", "There is no focal opacity.", "No focal airspace disease.")
		}
	case chexpert.LungLesion:
		loc := lungZone(rng, f.side, f.zone)
		what := "nodule"
		if f.kind == 1 {
			what = "mass"
		}
		switch st {
		case chexpert.Positive:
			if f.kind == 1 {
				return pick(rng, "There is a mass in the "+loc+".", "A large "+loc+" mass is present.", "Rounded mass in the "+loc+".")
			}
			return pick(rng, "There is a "+severity(rng, f.severity, "small", "", "")+"nodule in the "+loc+".",
				"A pulmonary nodule is seen in the "+loc+".", "Nodular density in the "+loc+".")
		case chexpert.Uncertain:
			return pick(rng, "Possible "+what+" in the "+loc+".", "A "+what+" in the "+loc+" cannot be excluded.",
				"Questionable nodular density in the "+loc+".")
		case chexpert.Negative:
			return pick(rng, "No pulmonary nodules or masses.", "No suspicious pulmonary nodule.", "There are no nodules or masses.")
		}
	case chexpert.Edema:
		switch st {
		case chexpert.Positive:
			return pick(rng, "There is pulmonary edema.", "Bilateral perihilar haziness consistent with pulmonary edema.",
				"Interstitial edema is present.", "Findings are consistent with "+severity(rng, f.severity, "mild", "moderate", "severe")+" pulmonary edema.")
		case chexpert.Uncertain:
			return pick(rng, "Mild vascular congestion, possibly early edema.", "Possible mild interstitial edema.",
				"Edema cannot be excluded.")
		case chexpert.Negative:
			return pick(rng, "No pulmonary edema.", "There is no edema.", "No evidence of pulmonary edema.")
		}
	case chexpert.Consolidation:
		l := lobe(f.side, f.zone)
		switch st {
		case chexpert.Positive:
			return pick(rng, "There is consolidation in the "+l+".", "Focal airspace consolidation in the "+l+".",
				capitalize(l)+" consolidation.", "Dense consolidation of the "+l+".")
		case chexpert.Uncertain:
			return pick(rng, "Consolidation in the "+l+" cannot be excluded.", "Possible early consolidation in the "+l+".",
				"Questionable consolidation in the "+l+".")
		case chexpert.Negative:
			return pick(rng, "No focal consolidation.", "There is no focal consolidation.", "No airspace consolidation.")
		}
	case chexpert.Pneumonia:
		switch st {
		case chexpert.Positive:
			return pick(rng, "Findings are consistent with pneumonia.", "This represents pneumonia.", "Compatible with "+lobe(f.side, f.zone)+" pneumonia.")
		case chexpert.Uncertain:
			return pick(rng, "This may represent pneumonia.", "Pneumonia is not excluded.", "Possibly early pneumonia.")
		case chexpert.Negative:
			return pick(rng, "No evidence of pneumonia.", "No radiographic evidence of pneumonia.")
		}
	case chexpert.Atelectasis:
		var where string
		if f.side == both {
			where = pick(rng, "bibasilar", "bilateral basilar")
		} else {
			where = sideWord(f.side) + " basilar"
		}
		baseLine := "Linear atelectasis at both lung bases."
		if f.side != both {
			baseLine = "Linear atelectasis at the " + sideWord(f.side) + " lung base."
		}
		switch st {
		case chexpert.Positive:
			return pick(rng, capitalize(where)+" atelectasis.", "There is "+where+" atelectasis.",
				baseLine,
				"Plate-like atelectasis is seen in the "+where+" region.")
		case chexpert.Uncertain:
			return pick(rng, capitalize(where)+" streaks, likely atelectasis.", "Possible "+where+" atelectasis.")
		case chexpert.Negative:
			return pick(rng, "No atelectasis.", "There is no atelectasis.")
		}
	case chexpert.Pneumothorax:
		s := sideWord(f.side)
		switch st {
		case chexpert.Positive:
			return pick(rng, "There is a "+severity(rng, f.severity, "small", "moderate", "large")+" "+s+" pneumothorax.",
				capitalize(s)+" apical pneumothorax.", "A "+s+" pneumothorax is present.")
		case chexpert.Uncertain:
			return pick(rng, "Possible tiny "+s+" apical pneumothorax.", "A small "+s+" pneumothorax cannot be excluded.")
		case chexpert.Negative:
			return pick(rng, "No pneumothorax.", "There is no pneumothorax.", "No evidence of pneumothorax.")
		}
	case chexpert.PleuralEffusion:
		sz := severity(rng, f.severity, "small", "moderate", "large")
		var s string
		if f.side == both {
			s = pick(rng, "bilateral", "small bilateral")
		} else {
			s = sz + " " + sideWord(f.side)
		}
		switch st {
		case chexpert.Positive:
			if f.side == both {
				return pick(rng, "There are "+s+" pleural effusions.", "Bilateral pleural effusions.",
					"Blunting of both costophrenic angles consistent with pleural effusions.")
			}
			return pick(rng, "There is a "+s+" pleural effusion.", capitalize(s)+" pleural effusion.",
				"Blunting of the "+sideWord(f.side)+" costophrenic angle consistent with effusion.")
		case chexpert.Uncertain:
			return pick(rng, "Possible small pleural effusion.", "Blunting of the costophrenic angle may represent a small effusion.",
				"A trace effusion cannot be excluded.")
		case chexpert.Negative:
			return pick(rng, "No pleural effusion.", "There is no pleural effusion.", "No effusions.")
		}
	case chexpert.PleuralOther:
		s := sideWord(f.side)
		switch st {
		case chexpert.Positive:
			return pick(rng, "There is "+s+" pleural thickening.", capitalize(s)+" apical pleural thickening.", "Pleural thickening along the "+s+" chest wall.")
		case chexpert.Uncertain:
			return pick(rng, "Possible "+s+" pleural thickening.")
		case chexpert.Negative:
			return "No pleural thickening."
		}
	case chexpert.Fracture:
		s := sideWord(f.side)
		nth := pick(rng, "fifth", "sixth", "seventh", "fourth")
		switch st {
		case chexpert.Positive:
			return pick(rng, "There is a fracture of the "+s+" "+nth+" rib.", "Healed "+s+" rib fracture.",
				capitalize(s)+" rib fracture is noted.", "Displaced "+s+" "+nth+" rib fracture.")
		case chexpert.Uncertain:
			return pick(rng, "Possible "+s+" rib fracture.", "A "+s+" rib fracture cannot be excluded.")
		case chexpert.Negative:
			return pick(rng, "No displaced rib fractures.", "No acute fracture.", "No rib fracture.")
		}
	case chexpert.SupportDevices:
		if st != chexpert.Positive {
			return ""
		}
		var parts []string
		if f.devices[devPacemaker] {
			parts = append(parts, pick(rng, "A cardiac pacemaker is in place.", "Left chest wall pacemaker with leads in the heart.",
				"Dual-lead pacemaker is unchanged."))
		}
		if f.devices[devETTube] {
			parts = append(parts, pick(rng, "Endotracheal tube in satisfactory position.", "The endotracheal tube tip is above the carina."))
		}
		if f.devices[devCentralLine] {
			parts = append(parts, pick(rng, "Right internal jugular central venous catheter tip in the svc.", "A central line is in place."))
		}
		if f.devices[devSternotomy] {
			parts = append(parts, pick(rng, "Median sternotomy wires are present.", "Postoperative sternotomy wires are noted."))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// Negatives that IU X-Ray reports often combine into one sentence.
var combinable = map[int]string{
	chexpert.Pneumothorax:    "pneumothorax",
	chexpert.PleuralEffusion: "pleural effusion",
	chexpert.Consolidation:   "focal consolidation",
	chexpert.Edema:           "edema",
	chexpert.LungOpacity:     "focal airspace opacity",
	chexpert.LungLesion:      "suspicious nodules",
}

// normalTemplates are each radiologist's stock report for a normal study
// (real IU X-Ray reports repeat such templates verbatim) and the
// observations it states negative.
var normalTemplates = [numRadiologists]struct {
	text      string
	negatives []int
}{
	{"The heart is normal in size. The mediastinum is unremarkable. The lungs are clear.", []int{chexpert.Cardiomegaly, chexpert.EnlargedCardiomediastinum}},
	{"Heart size normal. Lungs are clear. XXXX are normal. No pneumonia, effusions, edema, pneumothorax, nodules or masses.",
		[]int{chexpert.Cardiomegaly, chexpert.Pneumonia, chexpert.PleuralEffusion, chexpert.Edema, chexpert.Pneumothorax, chexpert.LungLesion}},
	{"Both lungs are clear and expanded. Heart and mediastinum normal.", []int{chexpert.Cardiomegaly, chexpert.EnlargedCardiomediastinum}},
	{"The cardiomediastinal silhouette is within normal limits. The lungs are clear. No pneumothorax or pleural effusion.",
		[]int{chexpert.Cardiomegaly, chexpert.EnlargedCardiomediastinum, chexpert.Pneumothorax, chexpert.PleuralEffusion}},
	{"Normal heart size and mediastinal contours. No focal airspace consolidation, pleural effusion or pneumothorax.",
		[]int{chexpert.Cardiomegaly, chexpert.EnlargedCardiomediastinum, chexpert.Consolidation, chexpert.PleuralEffusion, chexpert.Pneumothorax}},
	{"The heart size and pulmonary vascularity appear within normal limits. The lungs are free of focal airspace disease. No pneumothorax or pleural effusion is seen.",
		[]int{chexpert.Cardiomegaly, chexpert.LungOpacity, chexpert.Pneumothorax, chexpert.PleuralEffusion}},
	{"Lungs are clear bilaterally. No pleural effusion or pneumothorax. Heart size is within normal limits.",
		[]int{chexpert.PleuralEffusion, chexpert.Pneumothorax, chexpert.Cardiomegaly}},
	{"No acute cardiopulmonary abnormality. The heart is normal in size. Lungs are clear.", []int{chexpert.Cardiomegaly}},
}

// writeReport states the study's findings in IU X-Ray style. For some
// normal studies it uses the radiologist's stock report and sets the stated
// negatives accordingly, so call it before labels().
func writeReport(r *rand.Rand, s *study) string {
	rng := &phraser{Rand: r, doc: r.IntN(numRadiologists)}
	normal := true
	for o := range chexpert.NumObservations - 1 {
		if st := s.f[o].state; st == chexpert.Positive || st == chexpert.Uncertain {
			normal = false
		}
	}
	if normal && rng.Float64() < 0.45 {
		tpl := normalTemplates[rng.doc]
		for o := range chexpert.NumObservations - 1 {
			s.f[o].state = chexpert.Blank
		}
		for _, o := range tpl.negatives {
			s.f[o].state = chexpert.Negative
		}
		return tpl.text
	}
	var cardio, lungs, pleura, bones, devices, extra []string
	lungAbnormal := false
	for _, o := range []int{chexpert.LungOpacity, chexpert.LungLesion, chexpert.Edema, chexpert.Consolidation, chexpert.Atelectasis, chexpert.Pneumothorax} {
		if ok, _ := s.f[o].drawn(); ok {
			lungAbnormal = true
		}
	}
	// Heart and mediastinum, sometimes in one normal sentence.
	if s.f[chexpert.Cardiomegaly].state == chexpert.Negative && s.f[chexpert.EnlargedCardiomediastinum].state == chexpert.Negative && rng.Float64() < 0.6 {
		cardio = append(cardio, pick(rng, "The heart size and mediastinal contours are within normal limits.",
			"The cardiomediastinal silhouette is within normal limits.", "Heart size and mediastinal contours are normal.",
			"The heart and mediastinum are normal."))
	} else {
		for _, o := range []int{chexpert.Cardiomegaly, chexpert.EnlargedCardiomediastinum} {
			if t := sentence(rng, o, s.f[o]); t != "" {
				cardio = append(cardio, t)
			}
		}
	}
	// Combine some negatives.
	var negs []int
	for _, o := range []int{chexpert.Consolidation, chexpert.LungOpacity, chexpert.LungLesion, chexpert.Edema, chexpert.Pneumothorax, chexpert.PleuralEffusion} {
		if s.f[o].state == chexpert.Negative && rng.Float64() < 0.6 {
			negs = append(negs, o)
		}
	}
	combined := map[int]bool{}
	if len(negs) >= 2 {
		rng.Shuffle(len(negs), func(i, j int) { negs[i], negs[j] = negs[j], negs[i] })
		negs = negs[:min(len(negs), 2+rng.IntN(2))]
		words := make([]string, len(negs))
		for i, o := range negs {
			words[i] = combinable[o]
			combined[o] = true
		}
		list := strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
		pleura = append(pleura, pick(rng, "No "+list+".", "There is no "+list+".", "No evidence of "+list+"."))
	}
	if !lungAbnormal && rng.Float64() < 0.75 {
		lungs = append(lungs, pick(rng, "The lungs are clear.", "Lungs are clear bilaterally.", "The lungs are well expanded and clear.",
			"Both lungs are clear and expanded.", "Clear lungs."))
	}
	for _, o := range []int{chexpert.LungOpacity, chexpert.LungLesion, chexpert.Edema, chexpert.Consolidation, chexpert.Pneumonia, chexpert.Atelectasis} {
		if combined[o] {
			continue
		}
		if t := sentence(rng, o, s.f[o]); t != "" {
			lungs = append(lungs, t)
		}
	}
	rng.Shuffle(len(lungs), func(i, j int) { lungs[i], lungs[j] = lungs[j], lungs[i] })
	for _, o := range []int{chexpert.Pneumothorax, chexpert.PleuralEffusion, chexpert.PleuralOther} {
		if combined[o] {
			continue
		}
		if t := sentence(rng, o, s.f[o]); t != "" {
			pleura = append(pleura, t)
		}
	}
	if t := sentence(rng, chexpert.Fracture, s.f[chexpert.Fracture]); t != "" {
		bones = append(bones, t)
	}
	if t := sentence(rng, chexpert.SupportDevices, s.f[chexpert.SupportDevices]); t != "" {
		devices = append(devices, t)
	}
	if rng.Float64() < 0.25 {
		extra = append(extra, pick(rng, "Degenerative changes are present in the spine.", "Mild degenerative changes of the thoracic spine.",
			"The osseous structures are unremarkable.", "Visualized osseous structures are grossly normal.",
			"XXXX are normal.", "Mild thoracic dextroscoliosis."))
	}
	sections := [][]string{cardio, lungs, pleura, bones, extra}
	if rng.Float64() < 0.3 {
		sections[1], sections[2] = sections[2], sections[1]
	}
	if rng.Float64() < 0.15 {
		sections = append(sections[1:], sections[0])
	}
	if rng.Float64() < 0.4 {
		sections = append([][]string{devices}, sections...)
	} else {
		sections = append(sections, devices)
	}
	var all []string
	for _, sec := range sections {
		all = append(all, sec...)
	}
	if len(all) == 0 {
		all = []string{pick(rng, "No acute cardiopulmonary abnormality.", "No acute cardiopulmonary disease.", "Normal chest.")}
	}
	return strings.Join(all, " ")
}
