package hparams

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

func init() {
	Register("test",
		Spec{Key: "t_rate", Aliases: []string{"t_r"}, Default: 0.5, Range: "(0,10]", Resumable: true, Doc: "a rate"},
		Spec{Key: "t_count", Default: 3, Range: "[1,)", Doc: "a count"},
		Spec{Key: "t_mode", Default: "new", Legacy: "old", Choices: []string{"new", "old"}, Doc: "a mode"},
		Spec{Key: "t_flag", Default: true, Doc: "a switch"},
	)
}

func TestCheck(t *testing.T) {
	tests := []struct {
		key  string
		v    any
		want string // "" = valid
	}{
		{"t_rate", 0.5, ""},
		{"t_rate", 10.0, ""},
		{"t_rate", 0.0, "t_rate=0: must be in (0, 10]"},
		{"t_rate", 10.5, "must be in (0, 10]"},
		{"t_rate", math.NaN(), "must be in (0, 10]"},
		{"t_rate", math.Inf(1), "must be in (0, 10]"},
		{"t_rate", 1, "t_rate=1: a int, want float64"},
		{"t_count", 1, ""},
		{"t_count", 0, "t_count=0: must be >= 1"},
		{"t_mode", "old", ""},
		{"t_mode", "odd", `t_mode="odd": must be one of new, old`},
		{"t_flag", false, ""},
	}
	for _, tc := range tests {
		s, ok := Lookup(tc.key)
		if !ok {
			t.Fatalf("%s not declared", tc.key)
		}
		err := s.Check(tc.v)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s=%v: %v", tc.key, tc.v, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s=%v: error %v, want %q", tc.key, tc.v, err, tc.want)
		}
	}
}

func TestGetFallsBackToTheDeclaration(t *testing.T) {
	store := model.NewStore()
	root := store.RootScope()
	if got := Get[float64](root, "t_rate"); got != 0.5 {
		t.Errorf("missing t_rate: %v, want the default 0.5", got)
	}
	if got := String(root, "t_mode"); got != "old" {
		t.Errorf("missing t_mode: %q, want the legacy value old", got)
	}
	SetDefaults(store, "test")
	if got := String(root, "t_mode"); got != "new" {
		t.Errorf("t_mode after SetDefaults: %q, want new", got)
	}
	root.SetParam("t_count", 7)
	if got := Int(root, "t_count"); got != 7 {
		t.Errorf("t_count: %d, want 7", got)
	}
	root.SetParam("t_count", 0)
	if err := Validate(store); err == nil || !strings.Contains(err.Error(), "t_count=0") {
		t.Errorf("Validate: %v, want t_count=0 refused", err)
	}
}

func TestAliases(t *testing.T) {
	if s, ok := Lookup("t_r"); !ok || s.Key != "t_rate" {
		t.Errorf("Lookup(t_r) = %+v, %v", s, ok)
	}
	if got := Canonical("t_r"); got != "t_rate" {
		t.Errorf("Canonical(t_r) = %q", got)
	}
	for in, want := range map[string]string{
		"":                   "",
		"t_r=1":              "t_rate=1",
		"t_count=2;t_r=0.1":  "t_count=2;t_rate=0.1",
		"t_rate=3;unknown=1": "t_rate=3;unknown=1",
	} {
		if got := CanonicalSet(in); got != want {
			t.Errorf("CanonicalSet(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	for name, s := range map[string]Spec{
		"key twice":      {Key: "t_rate", Default: 1.0},
		"alias as key":   {Key: "t_r", Default: 1.0},
		"bad type":       {Key: "t_bad", Default: int64(1)},
		"bad range":      {Key: "t_bad2", Default: 1, Range: "1..2"},
		"legacy of type": {Key: "t_bad3", Default: 1, Legacy: "x"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			Register("test", s)
		}()
	}
}

func TestUndeclaredKeyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("reading an undeclared key did not panic")
		}
	}()
	Int(model.NewStore().RootScope(), "t_nope")
}
