package labeler

import "testing"

func TestCanonicalOrder(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no pleural effusion . the heart is enlarged . mild degenerative changes of the thoracic spine . a central line is in place .",
			"the heart is enlarged . no pleural effusion . a central line is in place . mild degenerative changes of the thoracic spine ."},
		// Ties and sentences without an observation keep their order.
		{"xxxx are normal . no pneumothorax . normal chest .", "no pneumothorax . xxxx are normal . normal chest ."},
		// Lungs before pleura; a combined negative sorts by its first observation.
		{"small left pleural effusion . there is no focal consolidation or edema . the mediastinum is normal .",
			"the mediastinum is normal . there is no focal consolidation or edema . small left pleural effusion ."},
		{"the heart is normal .", "the heart is normal ."},
		{"", ""},
	} {
		if got := CanonicalOrder(tc.in); got != tc.want {
			t.Errorf("CanonicalOrder(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestPlannedOrder(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Canonical order, each sentence prefixed by its observation's plan word:
		// Cardiomegaly (1), Pleural Effusion (9), Support Devices (12), none.
		{"no pleural effusion . the heart is enlarged . mild degenerative changes of the thoracic spine . a central line is in place .",
			"<plan1> the heart is enlarged . <plan9> no pleural effusion . <plan12> a central line is in place . <plan> mild degenerative changes of the thoracic spine ."},
		{"", ""},
	} {
		if got := PlannedOrder(tc.in); got != tc.want {
			t.Errorf("PlannedOrder(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
