package messages

import (
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// Metadata is an event's optional string annotations, stored in its frame
// and covered by its hash. Keys starting with ReservedMetadataPrefix are
// the store's (an audited gate bypass is recorded under them); an append
// that sets one is refused with ErrInvalidArgument, as is an empty key or
// metadata over the engine's MaxMetadataBytes (keys and values together,
// default 4 KiB). nil and empty mean none; a stored event without metadata
// reads back with a nil map.
//
// It encodes with its keys sorted (the same map always gives the same
// bytes) and decodes safely from untrusted bytes.
type Metadata map[string]string

// ReservedMetadataPrefix starts the metadata keys only the store writes.
const ReservedMetadataPrefix = "batpak."

// Metadata keys under which the store records an audited bypass of the
// policy gates (see Bypass) in each event written with it.
const (
	MetaBypassReason        = "batpak.bypass.reason"
	MetaBypassJustification = "batpak.bypass.justification"
)

// Bytes returns the size of m as counted against a limit: the lengths of
// its keys and values.
func (m Metadata) Bytes() int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// EncodeMsgpack implements msgpack.CustomEncoder: a map with its keys in
// ascending byte order.
func (m Metadata) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeMapLen(len(m)); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := e.EncodeString(k); err != nil {
			return err
		}
		if err := e.EncodeString(m[k]); err != nil {
			return err
		}
	}
	return nil
}

// DecodeMsgpack implements msgpack.CustomDecoder, filling the map as
// entries arrive (a hostile header cannot make it allocate more than the
// input holds).
func (m *Metadata) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeMapLen()
	if err != nil || n < 0 {
		*m = nil
		return err
	}
	out := make(Metadata, min(n, 8))
	for range n {
		k, err := d.DecodeString()
		if err != nil {
			return err
		}
		v, err := d.DecodeString()
		if err != nil {
			return err
		}
		out[k] = v
	}
	*m = out
	return nil
}

// Bypass asks the writer to skip the policy gates for one Append or
// AppendBatch, and records why: Reason (required: a bypass without one is
// refused with ErrInvalidArgument) and Justification are stored in the
// metadata of every event written with it, under MetaBypassReason and
// MetaBypassJustification (and count against the metadata limit), so that
// the bypass is audited in the log itself. Validation, the expected-version
// check and idempotency apply as usual.
type Bypass struct {
	// Reason names why the gates are bypassed (e.g. "incident-4711",
	// "data-migration"); it must not be empty.
	Reason string `msgpack:"reason"`
	// Justification explains the bypass for the audit; may be empty.
	Justification string `msgpack:"justification,omitempty"`
}
