// Package hparams is the one registry of the kit's hyperparameters: every
// model, training and distillation key is declared once, as a Spec, by the
// package that reads it (model, train, distill), with its type (that of its
// default), its default, its range or choices and a doc line. Readers call
// Get, which falls back to the declared value, so no default is written at
// the point of use; `mrg train -params` lists All.
//
// Keys use GoMLX's names where GoMLX has the same concept (learning_rate,
// adam_epsilon, ...). A key's older names stay accepted as Aliases, in -set
// (CanonicalSet) and in the checkpoints of existing runs (Canonical, applied
// by run.LoadCheckpoint).
package hparams

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"
)

// Spec declares one hyperparameter (root scope of the model.Store).
type Spec struct {
	Key   string
	Owner string // the package that declares and reads it: model, train or distill
	// Default is a new run's value (the cpu preset's). Its Go type (int,
	// float64, bool or string) is the parameter's type.
	Default any
	// Legacy is the value read from a checkpoint made before the key
	// existed (nil: Default): such runs keep the behaviour they were
	// trained with.
	Legacy any
	// Range bounds a number, as an interval: "[1,)", "(0,10]", "[0,1)".
	// Empty: unbounded.
	Range string
	// Choices are the allowed values of a string (nil: any).
	Choices []string
	// Aliases are older names of the key, accepted in -set and in existing
	// runs' checkpoints.
	Aliases []string
	// Resumable keys may be changed by -set when a run is resumed; the
	// others shape the model, the data or the selection and are refused.
	Resumable bool
	Doc       string

	lo, hi         float64
	loOpen, hiOpen bool
}

var (
	mu      sync.RWMutex
	specs   = map[string]*Spec{}
	aliases = map[string]string{} // alias → key
)

// Register declares hyperparameters; a package calls it once, from a
// variable initialiser or init. A key or alias declared twice, a default of
// an unsupported type or a malformed range panics: they are programming
// errors.
func Register(owner string, list ...Spec) {
	mu.Lock()
	defer mu.Unlock()
	for _, s := range list {
		s.Owner = owner
		if _, dup := specs[s.Key]; dup {
			panic(fmt.Sprintf("hparams: %s declared twice", s.Key))
		}
		if _, dup := aliases[s.Key]; dup {
			panic(fmt.Sprintf("hparams: %s is already an alias of %s", s.Key, aliases[s.Key]))
		}
		switch s.Default.(type) {
		case int, float64, bool, string:
		default:
			panic(fmt.Sprintf("hparams: %s: default %v of type %T (want int, float64, bool or string)", s.Key, s.Default, s.Default))
		}
		if s.Legacy != nil && reflect.TypeOf(s.Legacy) != reflect.TypeOf(s.Default) {
			panic(fmt.Sprintf("hparams: %s: legacy value %v is a %T, the default a %T", s.Key, s.Legacy, s.Legacy, s.Default))
		}
		if err := s.parseRange(); err != nil {
			panic(fmt.Sprintf("hparams: %s: %v", s.Key, err))
		}
		for _, a := range s.Aliases {
			if _, dup := specs[a]; dup {
				panic(fmt.Sprintf("hparams: alias %s of %s is a key", a, s.Key))
			}
			aliases[a] = s.Key
		}
		sp := s
		specs[s.Key] = &sp
	}
}

func (s *Spec) parseRange() error {
	s.lo, s.hi = math.Inf(-1), math.Inf(1)
	if s.Range == "" {
		return nil
	}
	r := s.Range
	if len(r) < 3 || !strings.ContainsAny(r[:1], "[(") || !strings.ContainsAny(r[len(r)-1:], "])") || !strings.Contains(r, ",") {
		return errors.Errorf("range %q: want an interval such as [1,) or (0,10]", r)
	}
	s.loOpen, s.hiOpen = r[0] == '(', r[len(r)-1] == ')'
	lo, hi, _ := strings.Cut(r[1:len(r)-1], ",")
	var err error
	if lo = strings.TrimSpace(lo); lo != "" {
		if s.lo, err = strconv.ParseFloat(lo, 64); err != nil {
			return errors.Errorf("range %q: %v", r, err)
		}
	}
	if hi = strings.TrimSpace(hi); hi != "" {
		if s.hi, err = strconv.ParseFloat(hi, 64); err != nil {
			return errors.Errorf("range %q: %v", r, err)
		}
	}
	return nil
}

// Type is the name of the parameter's type: int, float64, bool or string.
func (s Spec) Type() string { return reflect.TypeOf(s.Default).String() }

// Check reports whether v is a valid value of the parameter: its type, its
// range (NaN is never in range) and its choices. The error names the key.
func (s Spec) Check(v any) error {
	if reflect.TypeOf(v) != reflect.TypeOf(s.Default) {
		return errors.Errorf("%s=%v: a %T, want %s", s.Key, v, v, s.Type())
	}
	var x float64
	switch t := v.(type) {
	case int:
		x = float64(t)
	case float64:
		x = t
	case string:
		if len(s.Choices) > 0 && !contains(s.Choices, t) {
			return errors.Errorf("%s=%q: must be one of %s", s.Key, t, strings.Join(s.Choices, ", "))
		}
		return nil
	default:
		return nil
	}
	ok := !math.IsNaN(x) && (x > s.lo || (!s.loOpen && x == s.lo)) && (x < s.hi || (!s.hiOpen && x == s.hi))
	if !ok {
		return errors.Errorf("%s=%v: must be %s", s.Key, v, s.RangeText())
	}
	return nil
}

// RangeText says the range in words: ">= 1", "> 0", "in (0, 10]".
func (s Spec) RangeText() string {
	lo, hi := !math.IsInf(s.lo, -1), !math.IsInf(s.hi, 1)
	op := func(open bool, strict, loose string) string {
		if open {
			return strict
		}
		return loose
	}
	switch {
	case lo && hi && s.lo == s.hi:
		return fmt.Sprintf("%g", s.lo)
	case lo && hi:
		return fmt.Sprintf("in %s%g, %g%s", op(s.loOpen, "(", "["), s.lo, s.hi, op(s.hiOpen, ")", "]"))
	case lo:
		return fmt.Sprintf("%s %g", op(s.loOpen, ">", ">="), s.lo)
	case hi:
		return fmt.Sprintf("%s %g", op(s.hiOpen, "<", "<="), s.hi)
	}
	return "any"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Lookup finds a key's Spec by its name or one of its aliases.
func Lookup(key string) (Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	if k, ok := aliases[key]; ok {
		key = k
	}
	s, ok := specs[key]
	if !ok {
		return Spec{}, false
	}
	return *s, true
}

func mustLookup(key string) Spec {
	s, ok := Lookup(key)
	if !ok {
		panic(fmt.Sprintf("hparams: %s was never declared (hparams.Register)", key))
	}
	return s
}

// All returns every declared hyperparameter, sorted by key.
func All() []Spec {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Of returns the hyperparameters an owner declared, sorted by key.
func Of(owner string) []Spec {
	var out []Spec
	for _, s := range All() {
		if s.Owner == owner {
			out = append(out, s)
		}
	}
	return out
}

// SetDefaults sets, in the store's root scope, the default of every key of
// the owners that the store does not hold yet.
func SetDefaults(store *model.Store, owners ...string) {
	root := store.RootScope()
	for _, o := range owners {
		for _, s := range Of(o) {
			if _, found := root.GetParam(s.Key); !found {
				root.SetParam(s.Key, s.Default)
			}
		}
	}
}

// Get reads a declared hyperparameter from the scope (searching up to the
// root), or its Legacy value (else its Default) when the store does not hold
// it. T must be the declared type; reading an undeclared key panics.
func Get[T any](scope *model.Scope, key string) T {
	s := mustLookup(key)
	fallback := s.Default
	if s.Legacy != nil {
		fallback = s.Legacy
	}
	def, ok := fallback.(T)
	if !ok {
		panic(fmt.Sprintf("hparams: %s is a %s, read as %T", key, s.Type(), def))
	}
	return model.GetParamOr(scope, s.Key, def)
}

// Int is Get[int]: the readers' shorthand, as are Float, Bool and String.
func Int(scope *model.Scope, key string) int { return Get[int](scope, key) }

// Float is Get[float64].
func Float(scope *model.Scope, key string) float64 { return Get[float64](scope, key) }

// Bool is Get[bool].
func Bool(scope *model.Scope, key string) bool { return Get[bool](scope, key) }

// String is Get[string].
func String(scope *model.Scope, key string) string { return Get[string](scope, key) }

// Validate checks every declared key the store holds (root scope) against
// its Spec: type, range and choices. The errors name the keys.
func Validate(store *model.Store) error {
	root := store.RootScope()
	var errs []string
	for _, s := range All() {
		v, found := root.GetParam(s.Key)
		if !found {
			continue
		}
		if err := s.Check(v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New("invalid hyperparameters: " + strings.Join(errs, "; "))
	}
	return nil
}

// Canonical returns the key an alias names, or key itself.
func Canonical(key string) string {
	mu.RLock()
	defer mu.RUnlock()
	if k, ok := aliases[key]; ok {
		return k
	}
	return key
}

// CanonicalSet rewrites the keys of a -set string ("k=v;k2=v2") that are
// aliases to their keys, leaving everything else as it is.
func CanonicalSet(set string) string {
	if set == "" {
		return ""
	}
	parts := strings.Split(set, ";")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if s, found := Lookup(strings.TrimSpace(k)); found && s.Key != strings.TrimSpace(k) {
			parts[i] = s.Key + "=" + v
		}
	}
	return strings.Join(parts, ";")
}
