package messages

import "github.com/vmihailenco/msgpack/v5"

// The lists messages carry decode element by element: msgpack v5.4.1
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
