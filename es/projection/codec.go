package projection

import "github.com/vmihailenco/msgpack/v5"

// Codec encodes a projection's state for its checkpoint (and, unless
// Config.Clone is set, to hand queries a copy of it).
type Codec[S any] interface {
	// Encode returns s's bytes.
	Encode(s S) ([]byte, error)
	// Decode returns the state b holds.
	Decode(b []byte) (S, error)
}

// Msgpack is the default Codec: github.com/vmihailenco/msgpack/v5, which
// encodes exported struct fields (msgpack tags respected), maps, slices
// and scalars.
type Msgpack[S any] struct{}

// Encode implements Codec.
func (Msgpack[S]) Encode(s S) ([]byte, error) { return msgpack.Marshal(&s) }

// Decode implements Codec.
func (Msgpack[S]) Decode(b []byte) (S, error) {
	var s S
	err := msgpack.Unmarshal(b, &s)
	return s, err
}
