package typed

import (
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// Sentinels of the registry's refusals; test with errors.Is. The typed
// errors below wrap them.
var (
	// ErrKindTaken: the kind is already bound to another type.
	ErrKindTaken = errors.New("typed: kind already registered")
	// ErrTypeTaken: the type is already bound to another kind.
	ErrTypeTaken = errors.New("typed: type already registered")
	// ErrNameTaken: the name is already given to another kind.
	ErrNameTaken = errors.New("typed: name already registered")
	// ErrUnregistered: a type or kind the registry does not know.
	ErrUnregistered = errors.New("typed: not registered")
	// ErrMismatch: an event's kind is not the one the caller's type is
	// bound to.
	ErrMismatch = errors.New("typed: kind/type mismatch")
	// ErrPayload: a stored payload is not a typed envelope, or its body
	// does not decode into the registered type.
	ErrPayload = errors.New("typed: bad payload")
	// ErrUpcast: an event's schema version could not be brought to the
	// current one.
	ErrUpcast = errors.New("typed: upcast failed")
	// ErrInvalid: a registration or option out of range (schema version 0,
	// an empty name, a nil type or function, an option that does not fit).
	// It matches messages.ErrInvalidArgument too.
	ErrInvalid = fmt.Errorf("typed: invalid argument: %w", messages.ErrInvalidArgument)
)

// RegistrationError reports a refused registration: which kind, type and
// name were asked for, and which registration is in the way. errors.Is
// matches its Cause (ErrKindTaken, ErrTypeTaken, ErrNameTaken,
// messages.ErrReservedKind or ErrInvalid).
type RegistrationError struct {
	// Kind is the kind asked for.
	Kind messages.EventKind
	// Type is the Go type asked for (its %v form, e.g. "main.Deposited").
	Type string
	// Name is the human name asked for.
	Name string
	// Existing describes the registration in the way ("" when none).
	Existing string
	// Cause is the sentinel the refusal matches.
	Cause error
}

// Error implements error.
func (e *RegistrationError) Error() string {
	s := fmt.Sprintf("typed: cannot register %s as kind %s (%q): %v", e.Type, e.Kind, e.Name, e.Cause)
	if e.Existing != "" {
		s += " (" + e.Existing + ")"
	}
	return s
}

// Unwrap returns the cause.
func (e *RegistrationError) Unwrap() error { return e.Cause }

// UnregisteredError reports a type or a kind the registry does not know.
// errors.Is(err, ErrUnregistered) matches it.
type UnregisteredError struct {
	// Type is the Go type that was looked up ("" when a kind was).
	Type string
	// Kind is the kind that was looked up (0 when a type was).
	Kind messages.EventKind
}

// Error implements error.
func (e *UnregisteredError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("typed: type %s is not registered", e.Type)
	}
	return fmt.Sprintf("typed: kind %s is not registered", e.Kind)
}

// Unwrap returns ErrUnregistered.
func (e *UnregisteredError) Unwrap() error { return ErrUnregistered }

// MismatchError reports an event whose kind is not the kind of the type it
// was to be decoded into. errors.Is(err, ErrMismatch) matches it.
type MismatchError struct {
	// Type is the Go type asked for.
	Type string
	// Want is the kind that type is bound to.
	Want messages.EventKind
	// Got is the event's kind.
	Got messages.EventKind
	// GotName is the registered name of Got ("" if unregistered).
	GotName string
}

// Error implements error.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("typed: event of kind %s (%q) cannot decode into %s (kind %s)", e.Got, e.GotName, e.Type, e.Want)
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// PayloadError reports a payload that is not a typed envelope (too short,
// unknown format byte, schema version 0) or whose body does not decode into
// the registered type. errors.Is(err, ErrPayload) matches it.
type PayloadError struct {
	// Kind is the event's kind.
	Kind messages.EventKind
	// Version is the envelope's schema version (0 if unreadable).
	Version uint16
	// Reason says what is wrong.
	Reason string
	// Err is the decoder's error, if any.
	Err error
}

// Error implements error.
func (e *PayloadError) Error() string {
	s := fmt.Sprintf("typed: kind %s payload (schema version %d): %s", e.Kind, e.Version, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrPayload and the decoder's error.
func (e *PayloadError) Unwrap() []error { return []error{ErrPayload, e.Err} }

// UpcastError reports an event whose schema version could not be brought
// to the current one: the upcaster from From failed (returned Err or
// panicked), or none is registered for From, or From is newer than the
// registered version. errors.Is(err, ErrUpcast) matches it, and so does
// the upcaster's own error.
type UpcastError struct {
	// Kind is the event's kind.
	Kind messages.EventKind
	// Name is the kind's registered name.
	Name string
	// From is the schema version the failed step started from (for a
	// version newer than the registry knows: the event's version).
	From uint16
	// Current is the registered (target) schema version.
	Current uint16
	// Reason says what went wrong ("upcaster failed", "upcaster panicked",
	// "no upcaster", "version newer than registered").
	Reason string
	// Err is the upcaster's error or the recovered panic as an error.
	Err error
}

// Error implements error.
func (e *UpcastError) Error() string {
	s := fmt.Sprintf("typed: kind %s (%q) from schema version %d to %d: %s", e.Kind, e.Name, e.From, e.Current, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrUpcast and the upcaster's error.
func (e *UpcastError) Unwrap() []error { return []error{ErrUpcast, e.Err} }
