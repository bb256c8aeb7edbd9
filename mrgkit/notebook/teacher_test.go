package notebook

import "testing"

func TestTeacherAndStudentTraining(t *testing.T) {
	for _, c := range []struct {
		name                   string
		smoke                  string
		s                      Settings
		set                    string
		preset                 string
		teacherSet, studentSet string
	}{
		{"smoke", "1", Settings{}, "kd_adaptive=true", "tiny", "epochs=1", "epochs=1;kd_adaptive=true"},
		{"full", "", Settings{}, "", "cpu", "", ""},
		{"from settings", "", Settings{Preset: "tiny", Epochs: 2, Seed: 5}, "", "tiny", "epochs=2;seed=5", "epochs=2;seed=5"},
		{"student override", "", Settings{Epochs: 2}, "kd_adaptive=false", "cpu", "epochs=2", "epochs=2;kd_adaptive=false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(SmokeEnv, c.smoke)
			o := c.s.teacherTraining("data", "run")
			if o.Preset != c.preset || o.Set != c.teacherSet || o.DataDir != "data" || o.Out != "run" || o.Progress != Out {
				t.Errorf("teacher %+v, want preset %s, set %q", o, c.preset, c.teacherSet)
			}
			st := c.s.studentTraining("teacher", "student", c.set)
			if st.Preset != c.preset || st.Set != c.studentSet || st.Teacher != "teacher" || st.Out != "student" || st.DataDir != "" {
				t.Errorf("student %+v, want preset %s, set %q", st, c.preset, c.studentSet)
			}
		})
	}
}
