// Package usage marks the errors caused by the command line itself: a flag
// or -set value that no files could make right. mrg exits 2 on them and 1
// on the others (files, data, runs, the machine).
package usage

import "errors"

// Error is an error caused by the command line.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap marks err (nil stays nil) as caused by the command line.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	return &Error{err}
}

// Is reports whether err or an error it wraps was marked by Wrap.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
