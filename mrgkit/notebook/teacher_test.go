package notebook

import (
	"testing"
)

func TestTeacherAndStudentOptions(t *testing.T) {
	t.Setenv(SmokeEnv, "1")
	o := TeacherOptions(Settings{}, "data", "run")
	if o.Preset != "tiny" || o.Set != "epochs=1" || o.Dataset != "toycxr" || o.DataDir != "data" || o.Out != "run" {
		t.Errorf("smoke teacher options %+v", o)
	}
	s := StudentOptions(Settings{}, "teacher", "student", "kd_adaptive=true")
	if s.Set != "epochs=1;kd_adaptive=true" || s.Teacher != "teacher" || s.Preset != "tiny" {
		t.Errorf("smoke student options %+v", s)
	}
	t.Setenv(SmokeEnv, "")
	if o := TeacherOptions(Settings{}, "d", "r"); o.Preset != "cpu" || o.Set != "" {
		t.Errorf("full teacher options %+v", o)
	}
	if s := StudentOptions(Settings{}, "t", "s", ""); s.Set != "" || s.Preset != "cpu" {
		t.Errorf("full student options %+v", s)
	}
	if o := TeacherOptions(Settings{Preset: "tiny", Epochs: 2, Seed: 5}, "d", "r"); o.Preset != "tiny" || o.Set != "epochs=2;seed=5" {
		t.Errorf("teacher options from settings %+v", o)
	}
	if s := StudentOptions(Settings{Epochs: 2}, "t", "s", "kd_adaptive=false"); s.Set != "epochs=2;kd_adaptive=false" {
		t.Errorf("student options from settings %+v", s)
	}
}
