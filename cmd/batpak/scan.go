package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The read commands that stream (verify, dump, stats, tail, export) read
// the segment files with a storage.DirScanner rather than through openRead:
// like storage.OpenReadOnly it takes no lock, changes no file and works on a
// store a running engine holds, and unlike an engine its memory does not
// grow with the events (an Engine's index does).

// newScanner returns a scanner of the store in dir, with its errors made
// one-line and given their exit status.
func newScanner(dir string, opts storage.ScanOptions) (*storage.DirScanner, error) {
	s, err := storage.NewDirScanner(dir, opts)
	return s, scanErr(err)
}

// scanErr gives a scanner's error its exit status: an I/O failure exits 4,
// corruption 3, a missing or unreadable path or one that holds no store 1
// (exitCode's statuses, which an I/O error's wrapping would hide).
func scanErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotStore), errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return err
	case errors.Is(err, messages.ErrIO):
		return &statusError{code: ExitIO, err: err}
	}
	return err
}

// eventFilter selects events for dump and tail.
type eventFilter struct {
	entity, scope string
	kind          string // as given: "C:T", "C:*" or a number
	kindVal       messages.EventKind
	anyType       bool // kind names a category only
}

// parse checks the kind flag.
func (f *eventFilter) parse() error {
	if f.kind == "" {
		return nil
	}
	cat, typ, pair := strings.Cut(f.kind, ":")
	if !pair {
		n, err := strconv.ParseUint(f.kind, 0, 16)
		if err != nil {
			return fmt.Errorf("--kind %q: want CATEGORY:TYPE in hex (1:001, 1:*) or a number", f.kind)
		}
		f.kindVal = messages.EventKind(n)
		return nil
	}
	c, err := strconv.ParseUint(cat, 16, 4)
	if err != nil {
		return fmt.Errorf("--kind %q: category %q is not a hex digit", f.kind, cat)
	}
	if typ == "*" {
		f.anyType = true
		f.kindVal = messages.EventKind(c << 12)
		return nil
	}
	t, err := strconv.ParseUint(typ, 16, 12)
	if err != nil {
		return fmt.Errorf("--kind %q: type %q is not 0 to fff in hex", f.kind, typ)
	}
	f.kindVal = messages.EventKind(c<<12 | t)
	return nil
}

// match reports whether ev passes the filter.
func (f *eventFilter) match(ev *messages.Event) bool {
	switch {
	case f.entity != "" && ev.Coordinate.Entity != f.entity,
		f.scope != "" && ev.Coordinate.Scope != f.scope,
		f.kind != "" && f.anyType && ev.Kind.Category() != f.kindVal.Category(),
		f.kind != "" && !f.anyType && ev.Kind != f.kindVal:
		return false
	}
	return true
}
