package typed

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// Option sets a field of the request Append or Item builds.
type Option func(*request)

// request holds what the options set.
type request struct {
	expected messages.ExpectedVersion
	key      messages.ID
	corr     messages.ID
	cause    messages.CausationRef
}

// Expect sets the request's expected version (Append; a batch item's
// Expected, where the engine allows it).
func Expect(e messages.ExpectedVersion) Option {
	return func(r *request) { r.expected = e }
}

// Key sets the request's idempotency key.
func Key(k messages.ID) Option { return func(r *request) { r.key = k } }

// Correlation sets the request's correlation id.
func Correlation(id messages.ID) Option { return func(r *request) { r.corr = id } }

// CausedBy sets the request's causation to a stored event.
func CausedBy(id messages.ID) Option {
	return func(r *request) { r.cause = messages.CausedBy(id) }
}

// CausedByItem sets a batch item's causation to the earlier item i of the
// same batch; Append refuses it (ErrInvalid).
func CausedByItem(i int) Option {
	return func(r *request) { r.cause = messages.CausedByItem(i) }
}

func build(opts []Option) request {
	var q request
	for _, o := range opts {
		if o != nil {
			o(&q)
		}
	}
	return q
}

// Append builds the *messages.Append of the typed value v on coordinate c:
// its kind and payload from Encode, the rest from opts. Send it with
// actors.Store.Append or an actor's ctx.Request(store.Writer(), a). The
// errors are Encode's, and ErrInvalid for CausedByItem.
func Append(r *Registry, c messages.Coordinate, v any, opts ...Option) (*messages.Append, error) {
	q := build(opts)
	if q.cause.Mode == messages.CausePriorItem {
		return nil, fmt.Errorf("%w: CausedByItem names a batch item; an Append is not in a batch", ErrInvalid)
	}
	kind, payload, err := Encode(r, v)
	if err != nil {
		return nil, err
	}
	return &messages.Append{Coordinate: c, Kind: kind, Payload: payload, CorrelationID: q.corr,
		CausationID: q.cause.ID, Expected: q.expected, IdempotencyKey: q.key}, nil
}

// Item builds the messages.BatchItem of the typed value v on coordinate
// c, for a *messages.AppendBatch. The errors are Encode's.
func Item(r *Registry, c messages.Coordinate, v any, opts ...Option) (messages.BatchItem, error) {
	q := build(opts)
	kind, payload, err := Encode(r, v)
	if err != nil {
		return messages.BatchItem{}, err
	}
	return messages.BatchItem{Coordinate: c, Kind: kind, Payload: payload, CorrelationID: q.corr,
		Causation: q.cause, IdempotencyKey: q.key, Expected: q.expected}, nil
}
