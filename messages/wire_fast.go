package messages

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// The messages of an append (Append, AppendReply, AppendBatch,
// AppendBatchReply) have hand-written msgpack encoders: they write exactly
// the bytes msgpack.Marshal (v5.4.1, default options) writes for them, so
// peers of either kind interoperate, without reflection. The rules they
// follow, from msgpack's encoder:
//
//   - a struct is a map of its tagged field names, in field order, without
//     its omitempty fields that are empty (an ID or Hash is empty when
//     IsZero; a map, slice or string when its length is 0; a pointer when
//     nil; a number when 0; a bool when false);
//   - uint64 is always 0xcf and 8 bytes, int64 0xd3 and 8 bytes, uint16
//     0xcd and 2 bytes, uint8 0xcc and 1 byte; int takes the smallest form;
//   - []byte and byte arrays are bin (nil []byte is nil), strings str;
//   - Metadata sorts its keys (its EncodeMsgpack); a TraceCarrier is a
//     plain map, which msgpack writes in Go's random map order: we write
//     it sorted, which is one of those orders.
//
// Anything else, and a reply carrying a Failure, goes through msgpack
// itself (wireGeneric). wire_fast_test.go checks the bytes against
// msgpack.Marshal's.

// wireBody returns msg's msgpack encoding, a slice the caller owns.
func wireBody(msg any) ([]byte, error) {
	switch m := msg.(type) {
	case *Append:
		if m != nil {
			return m.appendMsgpack(make([]byte, 0, m.sizeHint())), nil
		}
	case *AppendReply:
		if m != nil && m.Failure == nil {
			return m.appendMsgpack(make([]byte, 0, m.sizeHint())), nil
		}
	case *AppendBatch:
		if m != nil {
			return m.appendMsgpack(make([]byte, 0, m.sizeHint())), nil
		}
	case *AppendBatchReply:
		if m != nil && m.Failure == nil {
			return m.appendMsgpack(make([]byte, 0, m.sizeHint())), nil
		}
	}
	return wireGeneric(msg)
}

// wireEncoders are msgpack encoders (each with its buffer) for the
// messages without a hand-written encoder.
var wireEncoders = sync.Pool{New: func() any {
	e := &pooledEncoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	return e
}}

type pooledEncoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

// wireGeneric encodes msg with msgpack into a pooled buffer and returns a
// copy of the bytes.
func wireGeneric(msg any) ([]byte, error) {
	e := wireEncoders.Get().(*pooledEncoder)
	defer func() {
		if e.buf.Cap() <= 64<<10 { // do not keep a huge buffer alive
			wireEncoders.Put(e)
		}
	}()
	e.buf.Reset()
	e.enc.Reset(&e.buf)
	if err := e.enc.Encode(msg); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// sizeHint is a little more than the encoded size of m: the most its
// fixed part can take, plus its strings, payload, maps and bypass.
func (m *Append) sizeHint() int {
	return 160 + len(m.Coordinate.Entity) + len(m.Coordinate.Scope) + len(m.Payload) +
		strMapSize(m.Trace) + strMapSize(m.Metadata) + m.Bypass.size()
}

func (m *Append) appendMsgpack(b []byte) []byte {
	n := 7
	if len(m.Trace) > 0 {
		n++
	}
	if len(m.Metadata) > 0 {
		n++
	}
	if m.Bypass != nil {
		n++
	}
	b = appendMapLen(b, n)
	b = appendCoordinate(appendStr(b, "coord"), m.Coordinate)
	b = appendU16(appendStr(b, "kind"), uint16(m.Kind))
	b = appendBin(appendStr(b, "payload"), m.Payload)
	b = appendID(appendStr(b, "corr"), m.CorrelationID)
	b = appendID(appendStr(b, "cause"), m.CausationID)
	b = appendExpected(appendStr(b, "expected"), m.Expected)
	b = appendID(appendStr(b, "key"), m.IdempotencyKey)
	if len(m.Trace) > 0 {
		b = appendStrMap(appendStr(b, "trace"), m.Trace)
	}
	if len(m.Metadata) > 0 {
		b = appendStrMap(appendStr(b, "meta"), m.Metadata)
	}
	if m.Bypass != nil {
		b = m.Bypass.appendMsgpack(appendStr(b, "bypass"))
	}
	return b
}

// sizeHint is a little more than the encoded size of m without a Failure.
func (m *AppendReply) sizeHint() int { return 144 }

func (m *AppendReply) appendMsgpack(b []byte) []byte {
	b = appendMapLen(b, 1) // Failure is nil: omitted
	return appendReceipt(appendStr(b, "receipt"), &m.Receipt)
}

func appendReceipt(b []byte, r *Receipt) []byte {
	n := 6
	if r.Replayed {
		n++
	}
	b = appendMapLen(b, n)
	b = appendID(appendStr(b, "id"), r.EventID)
	b = appendU64(appendStr(b, "seq"), r.Sequence)
	b = appendU64(appendStr(b, "version"), r.Version)
	b = appendBin(appendStr(b, "hash"), r.Hash[:])
	b = appendU64(appendStr(b, "segment"), r.Segment)
	b = appendI64(appendStr(b, "offset"), r.Offset)
	if r.Replayed {
		b = append(appendStr(b, "replayed"), 0xc3)
	}
	return b
}

func appendCoordinate(b []byte, c Coordinate) []byte {
	b = appendMapLen(b, 2)
	b = appendStr(appendStr(b, "entity"), c.Entity)
	return appendStr(appendStr(b, "scope"), c.Scope)
}

func appendExpected(b []byte, e ExpectedVersion) []byte {
	if e.Version == 0 {
		return appendU8(appendStr(appendMapLen(b, 1), "mode"), uint8(e.Mode))
	}
	b = appendU8(appendStr(appendMapLen(b, 2), "mode"), uint8(e.Mode))
	return appendU64(appendStr(b, "version"), e.Version)
}

// size is a little more than the encoded size of a non-nil m and its
// field name; 0 for nil.
func (m *Bypass) size() int {
	if m == nil {
		return 0
	}
	return 40 + len(m.Reason) + len(m.Justification)
}

func (m *Bypass) appendMsgpack(b []byte) []byte {
	if m.Justification == "" {
		return appendStr(appendStr(appendMapLen(b, 1), "reason"), m.Reason)
	}
	b = appendStr(appendStr(appendMapLen(b, 2), "reason"), m.Reason)
	return appendStr(appendStr(b, "justification"), m.Justification)
}

// strMapSize is a little more than the encoded size of m and its field
// name ("trace", "meta"); 0 when m is empty (omitted).
func strMapSize(m map[string]string) int {
	if len(m) == 0 {
		return 0
	}
	n := 11
	for k, v := range m {
		n += 10 + len(k) + len(v)
	}
	return n
}

// appendStrMap writes m with its keys sorted (Metadata's rule).
func appendStrMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, 4)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = appendMapLen(b, len(m))
	for _, k := range keys {
		b = appendStr(appendStr(b, k), m[k])
	}
	return b
}

func appendMapLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
}

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

func appendStr(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 256:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

// appendBin writes p as bin, or nil when p is nil.
func appendBin(b []byte, p []byte) []byte {
	switch n := len(p); {
	case p == nil:
		return append(b, 0xc0)
	case n < 256:
		b = append(b, 0xc4, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xc5), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
	}
	return append(b, p...)
}

func appendID(b []byte, id ID) []byte { return append(append(b, 0xc4, 16), id[:]...) }

func appendU8(b []byte, v uint8) []byte   { return append(b, 0xcc, v) }
func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(append(b, 0xcd), v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(append(b, 0xcf), v) }
func appendI64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

// appendInt writes v in its smallest form, as msgpack's EncodeInt does.
func appendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 0x7f:
		return append(b, byte(v))
	case v >= 0 && v <= 0xff:
		return append(b, 0xcc, byte(v))
	case v >= 0 && v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v >= 0 && v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	case v >= 0:
		return appendU64(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= -128:
		return append(b, 0xd0, byte(v))
	case v >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(v))
	case v >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(v))
	}
	return appendI64(b, v)
}
