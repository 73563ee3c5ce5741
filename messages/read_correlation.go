package messages

import "github.com/asynkron/protoactor-go/remote"

// wireReadCorrelation is ReadCorrelation's wire name (part of the wire
// format: never reuse or rename it).
const wireReadCorrelation = "batpak.ReadCorrelation"

func init() {
	RegisterWire(wireReadCorrelation, func() remote.RootSerializable { return new(ReadCorrelation) })
}

// ReadCorrelation asks the store's reader actor for a page of the events of
// one correlation (a saga: every event whose CorrelationID is ID), in
// global order. It is answered with a *ReadReply; to read on, send it again
// with the reply's Next in FromSeq, until End.
type ReadCorrelation struct {
	// ID is the correlation; it must not be zero. An ID no event carries
	// reads as an empty last page, not an error.
	ID ID `msgpack:"id"`
	// FromSeq is the lowest global sequence of the page (sequences start at
	// 0): the page holds the correlation's events at or after it.
	FromSeq uint64 `msgpack:"from_seq"`
	// Limit is the page's most events: 0 = DefaultReadPage, at most
	// MaxReadPage. A page also ends before its payloads pass
	// MaxReadPageBytes (never with no event when one is left).
	Limit int `msgpack:"limit"`
}

// Validate checks the id and the limit: a zero id or a bad limit wraps
// ErrInvalidArgument.
func (r *ReadCorrelation) Validate() error {
	if r == nil {
		return nilRead()
	}
	if r.ID.IsZero() {
		return &Error{Code: CodeInvalidArgument, Message: "batpak: ReadCorrelation needs a correlation id (it is zero)"}
	}
	_, err := ReadLimit(r.Limit)
	return err
}

// Serialize implements remote.RootSerializable.
func (r *ReadCorrelation) Serialize() (remote.RootSerialized, error) {
	return ToWire(wireReadCorrelation, r)
}
