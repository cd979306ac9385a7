package scenario

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
)

// ErrInvalid is the sentinel of every error about a scenario's content or
// a scenario file that cannot be read: errors.Is(err, ErrInvalid) is true
// for all the errors Parse and Load return, so a caller can tell bad input
// from a failure of its own.
var ErrInvalid = errors.New("invalid scenario")

// Error is one problem in a scenario file: where it is (file, line, key
// path such as "producers.orders.phases[1].rate") and what is wrong. Its
// text is "FILE:LINE: PATH: MSG"; the line is left out when it is unknown
// (0) and the path when the problem is not about one key (a YAML syntax
// error).
type Error struct {
	// File is the file name given to Parse, or "preset:NAME".
	File string
	// Line is the 1-based line of the offending key or value; 0 if unknown.
	Line int
	// Path is the key path, such as "groups.analytics.capacity".
	Path string
	// Msg says what is wrong, such as "must be ≥ 0, got -5".
	Msg string
}

// Error returns the problem as "FILE:LINE: PATH: MSG".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrInvalid, so that errors.Is(err, ErrInvalid) holds.
func (e *Error) Unwrap() error { return ErrInvalid }

// fileError is a scenario file that cannot be read: it is bad input
// (ErrInvalid) and keeps the underlying error (fs.ErrNotExist, say).
type fileError struct {
	arg string
	err error
}

func (e *fileError) Error() string {
	msg := "open scenario " + strconv.Quote(e.arg) + ": " + e.err.Error()
	if errors.Is(e.err, fs.ErrNotExist) && !strings.ContainsAny(e.arg, `/\.`) {
		msg += " (nor is it a preset: " + strings.Join(PresetNames(), ", ") + ")"
	}
	return msg
}

func (e *fileError) Unwrap() []error { return []error{e.err, ErrInvalid} }
