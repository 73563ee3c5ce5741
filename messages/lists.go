package messages

import "github.com/vmihailenco/msgpack/v5"

// The lists (and the trace carrier) messages carry decode element by
// element: msgpack v5.4.1
// allocates a slice of whatever length an array header claims (its
// allocation limit is inverted for slices), so a hostile 5-byte header
// could ask for gigabytes. Growing as elements actually arrive bounds the
// allocation by the input. Found by FuzzDecodeMessages.

// Events is a list of events; it decodes safely from untrusted bytes.
type Events []Event

// DecodeMsgpack implements msgpack.CustomDecoder.
func (l *Events) DecodeMsgpack(d *msgpack.Decoder) (err error) {
	*l, err = decodeList[Event](d)
	return err
}

// BatchItems is a list of batch items; it decodes safely from untrusted bytes.
type BatchItems []BatchItem

// DecodeMsgpack implements msgpack.CustomDecoder.
func (l *BatchItems) DecodeMsgpack(d *msgpack.Decoder) (err error) {
	*l, err = decodeList[BatchItem](d)
	return err
}

// Receipts is a list of receipts; it decodes safely from untrusted bytes.
type Receipts []Receipt

// DecodeMsgpack implements msgpack.CustomDecoder.
func (l *Receipts) DecodeMsgpack(d *msgpack.Decoder) (err error) {
	*l, err = decodeList[Receipt](d)
	return err
}

// DecodeMsgpack implements msgpack.CustomDecoder for the carrier, filling
// the map as entries arrive (msgpack v5.4.1 sizes a map up to a million
// entries from its header alone: ~50 MB for a 5-byte hostile input).
func (c *TraceCarrier) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeMapLen()
	if err != nil || n < 0 {
		*c = nil
		return err
	}
	m := make(TraceCarrier, min(n, 8))
	for i := 0; i < n; i++ {
		k, err := d.DecodeString()
		if err != nil {
			return err
		}
		v, err := d.DecodeString()
		if err != nil {
			return err
		}
		m[k] = v
	}
	*c = m
	return nil
}

func decodeList[T any](d *msgpack.Decoder) ([]T, error) {
	n, err := d.DecodeArrayLen()
	if err != nil || n < 0 {
		return nil, err
	}
	out := make([]T, 0, min(n, 64))
	for i := 0; i < n; i++ {
		var v T
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
