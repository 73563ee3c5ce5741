package typed

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// encoder is a reusable msgpack encoder with its buffer.
type encoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

// decoder is a reusable msgpack decoder with its reader.
type decoder struct {
	rd  bytes.Reader
	dec *msgpack.Decoder
}

var decoders = sync.Pool{New: func() any {
	d := &decoder{}
	d.dec = msgpack.NewDecoder(&d.rd)
	return d
}}

// unmarshal decodes a msgpack body into dst (a pointer) with a pooled
// decoder.
func unmarshal(body []byte, dst any) error {
	d := decoders.Get().(*decoder)
	d.rd.Reset(body)
	d.dec.Reset(&d.rd)
	err := d.dec.Decode(dst)
	d.rd.Reset(nil)
	decoders.Put(d)
	return err
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	return e
}}

// Encode returns the kind v's type is bound to and v's payload (the
// envelope at the current schema version, then v in msgpack). v may be a
// registered T or a non-nil *T. An unregistered type is an
// *UnregisteredError; a value msgpack cannot encode (a func or channel
// field) wraps ErrInvalid.
func Encode(r *Registry, v any) (messages.EventKind, []byte, error) {
	b, ptr, err := r.typeOf(v)
	if err != nil {
		return 0, nil, err
	}
	if b.codec != nil {
		return b.kind, encodeFast(b, v, ptr), nil
	}
	p, err := encodeBody(b, v)
	return b.kind, p, err
}

// encodeBody encodes v with msgpack v5: the path of types without a
// compiled plan, and the reference the plans are tested against.
func encodeBody(b *binding, v any) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.buf.Reset()
	e.buf.Write(putHeader(nil, b.version))
	if err := e.enc.Encode(v); err != nil {
		return nil, fmt.Errorf("typed: encode %s (kind %s): %w: %w", b.typ, b.kind, ErrInvalid, err)
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// Decode decodes a stored event into its kind's registered type and
// returns it as a value of that type (a T, not a *T), upcasting an older
// schema version first (see the package doc). An unregistered kind is an
// *UnregisteredError; a payload that is not an envelope or does not
// decode is a *PayloadError; a failed upcast an *UpcastError.
func Decode(r *Registry, ev messages.Event) (any, error) {
	return DecodePayload(r, ev.Kind, ev.Payload)
}

// DecodePayload is Decode of an event's kind and payload alone.
func DecodePayload(r *Registry, kind messages.EventKind, payload []byte) (any, error) {
	b := r.kind(kind)
	if b == nil {
		return nil, &UnregisteredError{Kind: kind}
	}
	return b.decode(r, b, kind, payload)
}

// DecodeAs decodes a stored event into T. An event whose kind is not the
// one T is bound to is a *MismatchError (ErrMismatch); an unregistered T
// an *UnregisteredError; see Decode for the rest.
func DecodeAs[T any](r *Registry, ev messages.Event) (T, error) {
	var zero T
	t := reflect.TypeFor[T]()
	b := r.typ(t)
	if b == nil {
		return zero, &UnregisteredError{Type: t.String()}
	}
	if b.kind != ev.Kind {
		return zero, &MismatchError{Type: t.String(), Want: b.kind, Got: ev.Kind, GotName: r.Name(ev.Kind)}
	}
	v, err := decodeNew[T](r, b, ev.Kind, ev.Payload)
	if err != nil {
		return zero, err
	}
	return v, nil
}

// decodeNew decodes payload (of kind, bound to b, whose type is T) into a
// new T: with b's compiled plan when it has one and the payload is at the
// current schema version, else (or when the plan does not expect the
// body) with msgpack v5.
func decodeNew[T any](r *Registry, b *binding, kind messages.EventKind, payload []byte) (T, error) {
	if b.codec != nil {
		if ver, body, err := Envelope(kind, payload); err == nil && ver == b.version {
			var v T
			if decodeFast(b.codec, body, unsafe.Pointer(&v)) {
				return v, nil
			}
		}
	}
	return decodeSlow[T](r, b, kind, payload)
}

// decodeSlow is decodeNew's msgpack path (a function of its own, so that
// decodeNew's value does not escape through decodeInto's interface).
func decodeSlow[T any](r *Registry, b *binding, kind messages.EventKind, payload []byte) (T, error) {
	v := new(T)
	err := r.decodeInto(b, kind, payload, v)
	return *v, err
}

// decodeInto decodes payload into dst (a pointer to b's zero value) with
// msgpack v5, after checkBounds: the path of types without a compiled
// plan, of bodies the plan does not expect, and of older schema versions.
func (r *Registry) decodeInto(b *binding, kind messages.EventKind, payload []byte, dst any) error {
	ver, body, err := Envelope(kind, payload)
	if err != nil {
		return err
	}
	if err := checkBounds(body); err != nil {
		return &PayloadError{Kind: kind, Version: ver, Reason: "body is not sound msgpack", Err: err}
	}
	if ver != b.version {
		if body, err = r.upcast(b, ver, body); err != nil {
			return err
		}
	}
	if err := unmarshal(body, dst); err != nil {
		return &PayloadError{Kind: kind, Version: ver, Reason: "body does not decode into " + b.typ.String(), Err: err}
	}
	return nil
}
