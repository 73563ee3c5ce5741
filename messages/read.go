package messages

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// Page bounds of a read request (ReadStream, ReadQuery).
const (
	// DefaultReadPage is the page size of a request whose Limit is 0.
	DefaultReadPage = 1000
	// MaxReadPage is the largest Limit a request may ask for.
	MaxReadPage = 10_000
	// MaxReadPageBytes caps the payload bytes of one page: an event that
	// would take the page's payloads over it starts the next page instead,
	// except the first of a page, so a page holds at least one event when
	// one is left.
	MaxReadPageBytes = 4 << 20
)

// ReadStream asks the store's reader actor for a page of one entity's
// events. It is answered with a *ReadReply.
type ReadStream struct {
	// Coordinate is the stream; it must Validate, as an Append's must.
	Coordinate Coordinate `msgpack:"coord"`
	// From is the first version of the page. Forward: versions From,
	// From+1, ... (0 or 1 = the first). Backward: versions From, From-1,
	// ... down to 1 (0 = the latest; above the latest = the latest).
	From uint64 `msgpack:"from"`
	// Backward reads newest first.
	Backward bool `msgpack:"backward"`
	// Limit is the page's most events: 0 = DefaultReadPage, at most
	// MaxReadPage.
	Limit int `msgpack:"limit"`
}

// Validate checks the coordinate and the limit. A bad coordinate is the
// *CoordinateError an Append with it gets; a bad limit wraps
// ErrInvalidArgument.
func (r *ReadStream) Validate() error {
	if r == nil {
		return nilRead()
	}
	if err := r.Coordinate.Validate(); err != nil {
		return err
	}
	_, err := ReadLimit(r.Limit)
	return err
}

// ReadQuery asks the store's reader actor for a page of the events that
// match a filter, in global order (newest first when Backward). It is
// answered with a *ReadReply.
type ReadQuery struct {
	// EntityPrefix keeps entities that start with it ("" = all). It is
	// checked as an entity is (length, UTF-8, no NUL), but may be empty.
	EntityPrefix string `msgpack:"prefix"`
	// Scope keeps only this scope when non-empty; checked as a scope is.
	Scope string `msgpack:"scope"`
	// Kinds keeps only these kinds when non-empty.
	Kinds EventKinds `msgpack:"kinds"`
	// FromSeq is the lowest global sequence of the range (sequences start
	// at 0). A forward read starts here; its next page starts at
	// ReadReply.Next.
	FromSeq uint64 `msgpack:"from_seq"`
	// BeforeSeq is the end of the range, exclusive; 0 = no end. A backward
	// read starts just below it; its next page ends at ReadReply.Next.
	BeforeSeq uint64 `msgpack:"before_seq"`
	// Backward reads newest first.
	Backward bool `msgpack:"backward"`
	// Limit is the page's most events: 0 = DefaultReadPage, at most
	// MaxReadPage.
	Limit int `msgpack:"limit"`
}

// Validate checks the prefix, the scope and the limit. A bad prefix or
// scope is a *CoordinateError (ErrInvalidCoordinate), as an Append with it
// as entity or scope gets; a bad limit wraps ErrInvalidArgument.
func (q *ReadQuery) Validate() error {
	if q == nil {
		return nilRead()
	}
	if q.EntityPrefix != "" {
		if err := validatePart("entity", q.EntityPrefix); err != nil {
			return err
		}
	}
	if q.Scope != "" {
		if err := validatePart("scope", q.Scope); err != nil {
			return err
		}
	}
	_, err := ReadLimit(q.Limit)
	return err
}

// ReadLimit returns the page size a request's Limit asks for:
// DefaultReadPage for 0, the limit itself in [1, MaxReadPage], else an
// error wrapping ErrInvalidArgument.
func ReadLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultReadPage, nil
	case limit < 0 || limit > MaxReadPage:
		return 0, &Error{Code: CodeInvalidArgument,
			Message: fmt.Sprintf("batpak: read limit %d not in [0, %d]", limit, MaxReadPage)}
	}
	return limit, nil
}

func nilRead() error {
	return &Error{Code: CodeInvalidArgument, Message: "batpak: nil read request"}
}

// ReadReply answers a ReadStream or a ReadQuery: a page of events, or a
// failure. Test it with Err (see AppendReply). To read on, send the same
// request with Next in From (ReadStream), FromSeq (forward ReadQuery) or
// BeforeSeq (backward ReadQuery), until End.
type ReadReply struct {
	// Events are the page's events, in the request's order; at most its
	// Limit, fewer when their payloads reach MaxReadPageBytes (a page short
	// of the Limit is not by itself the end: see End).
	Events Events `msgpack:"events"`
	// Next is where the next page starts; 0 when End is set.
	Next uint64 `msgpack:"next"`
	// End says nothing came after this page when it was read. A forward
	// reader that wants later events asks again from after its last event.
	End bool `msgpack:"end"`
	// Failure is why the read was refused; nil on success. Read it through
	// Err.
	Failure *Error `msgpack:"err,omitempty"`
}

// Err returns the failure, or a plain nil error when the read succeeded.
// A nil reply is not a success: Err then returns an ErrInvalidArgument.
func (r *ReadReply) Err() error {
	if r == nil {
		return nilReply()
	}
	return plain(r.Failure)
}

// EventKinds is a list of kinds; it decodes safely from untrusted bytes
// (see Events).
type EventKinds []EventKind

// DecodeMsgpack implements msgpack.CustomDecoder.
func (l *EventKinds) DecodeMsgpack(d *msgpack.Decoder) (err error) {
	*l, err = decodeList[EventKind](d)
	return err
}
