package typed

import (
	"bytes"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// Fields is the generic form an upcaster works on: a msgpack map decoded
// loosely (integers as int64 or uint64, floats as float64, strings and
// binaries as string, arrays as []any, maps as map[string]any, nil).
type Fields = map[string]any

// Upcaster turns a kind's fields of schema version N into those of version
// N+1. It may change and return its argument. An error (or a panic) makes
// the decode fail with an *UpcastError; it never reaches the caller as a
// panic.
type Upcaster func(Fields) (Fields, error)

// RegisterUpcaster registers fn as the step from schema version from to
// from+1 of kind. kind must be registered, from must be in [1, current
// version-1], and each step is registered once; otherwise the
// registration is refused with a *RegistrationError (ErrUnregistered or
// ErrInvalid).
func (r *Registry) RegisterUpcaster(kind messages.EventKind, from uint16, fn Upcaster) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.kind(kind)
	refuse := func(cause error, why string) error {
		e := &RegistrationError{Kind: kind, Existing: why, Cause: cause}
		if b != nil {
			e.Type, e.Name = b.typ.String(), b.name
		}
		return e
	}
	switch {
	case b == nil:
		return refuse(ErrUnregistered, "register the kind's type before its upcasters")
	case fn == nil:
		return refuse(ErrInvalid, "nil upcaster")
	case from == 0 || from >= b.version:
		return refuse(ErrInvalid, fmt.Sprintf("upcaster from version %d: current version is %d", from, b.version))
	case b.up[from] != nil:
		return refuse(ErrInvalid, fmt.Sprintf("an upcaster from version %d is already registered", from))
	}
	b.up[from] = fn
	return nil
}

// upcast brings body from schema version ver to b's current version and
// returns it re-encoded.
func (r *Registry) upcast(b *binding, ver uint16, body []byte) ([]byte, error) {
	fail := func(from uint16, reason string, err error) error {
		return &UpcastError{Kind: b.kind, Name: b.name, From: from, Current: b.version, Reason: reason, Err: err}
	}
	if ver > b.version {
		return nil, fail(ver, "version newer than registered", nil)
	}
	d := msgpack.NewDecoder(bytes.NewReader(body))
	d.UseLooseInterfaceDecoding(true)
	var f Fields
	if err := d.Decode(&f); err != nil {
		return nil, &PayloadError{Kind: b.kind, Version: ver, Reason: "body is not a msgpack map, cannot upcast", Err: err}
	}
	for v := ver; v < b.version; v++ {
		r.mu.RLock()
		fn := b.up[v]
		r.mu.RUnlock()
		if fn == nil {
			return nil, fail(v, "no upcaster", nil)
		}
		next, err := step(fn, f)
		if err != nil {
			return nil, fail(v, err.reason, err.err)
		}
		f = next
	}
	out, err := msgpack.Marshal(f)
	if err != nil {
		return nil, fail(b.version-1, "upcast result does not encode", err)
	}
	return out, nil
}

type stepError struct {
	reason string
	err    error
}

// step runs one upcaster, turning a panic into an error.
func step(fn Upcaster, f Fields) (out Fields, se *stepError) {
	defer func() {
		if p := recover(); p != nil {
			out, se = nil, &stepError{reason: "upcaster panicked", err: fmt.Errorf("panic: %v", p)}
		}
	}()
	out, err := fn(f)
	if err != nil {
		return nil, &stepError{reason: "upcaster failed", err: err}
	}
	return out, nil
}
