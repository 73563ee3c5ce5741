package messages

//go:generate protoc --go_out=. --go_opt=paths=source_relative wire.proto

import (
	"fmt"
	"slices"
	"sync"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/vmihailenco/msgpack/v5"
)

// Every batpak message crosses protoactor remote unchanged for its sender
// and receiver. protoactor's remote sends only generated protobuf
// messages, and it translates a root message that implements
// remote.RootSerializable before sending it; so every message type here
// has a Serialize method that wraps it in one generated protobuf message,
// *Wire, holding its wire name and its msgpack bytes. On arrival, protoactor
// calls (*Wire).Deserialize, which returns the batpak message again. A
// message whose wire name this binary does not know, or whose body does not
// decode, arrives as an *Undecodable instead: the store's actors answer it
// with an ErrorReply, and nothing crashes. The messages of an append have a
// hand-written msgpack codec (wire_fast.go), byte for byte msgpack's; the
// others go through msgpack.

// wireTypes maps a wire name to a function that makes an empty message of
// that type. Wire names are part of the wire format: never reuse or rename
// one.
var (
	wireMu    sync.RWMutex
	wireTypes = map[string]func() remote.RootSerializable{}
)

// RegisterWire makes messages of wire name name decodable when they arrive
// over protoactor remote: make returns an empty message to decode into. The
// packages of batpak-go register their messages in init; a name registered
// twice panics (a programming error, found at start-up).
func RegisterWire(name string, make func() remote.RootSerializable) {
	wireMu.Lock()
	defer wireMu.Unlock()
	if _, dup := wireTypes[name]; dup {
		panic("batpak: wire name registered twice: " + name)
	}
	wireTypes[name] = make
}

func init() {
	for name, mk := range map[string]func() remote.RootSerializable{
		wireAppend:           func() remote.RootSerializable { return new(Append) },
		wireAppendBatch:      func() remote.RootSerializable { return new(AppendBatch) },
		wireAppendReply:      func() remote.RootSerializable { return new(AppendReply) },
		wireAppendBatchReply: func() remote.RootSerializable { return new(AppendBatchReply) },
		wireErrorReply:       func() remote.RootSerializable { return new(ErrorReply) },
		wireReadStream:       func() remote.RootSerializable { return new(ReadStream) },
		wireReadQuery:        func() remote.RootSerializable { return new(ReadQuery) },
		wireReadReply:        func() remote.RootSerializable { return new(ReadReply) },
		wireNotification:     func() remote.RootSerializable { return new(Notification) },
		wireGap:              func() remote.RootSerializable { return new(Gap) },
		wireSubscribed:       func() remote.RootSerializable { return new(Subscribed) },
		wireSubscriptionEnd:  func() remote.RootSerializable { return new(SubscriptionEnded) },
		wireUndecodable:      func() remote.RootSerializable { return new(Undecodable) },
	} {
		RegisterWire(name, mk)
	}
}

// Wire names of this package's messages.
const (
	wireAppend           = "batpak.Append"
	wireAppendBatch      = "batpak.AppendBatch"
	wireAppendReply      = "batpak.AppendReply"
	wireAppendBatchReply = "batpak.AppendBatchReply"
	wireErrorReply       = "batpak.ErrorReply"
	wireReadStream       = "batpak.ReadStream"
	wireReadQuery        = "batpak.ReadQuery"
	wireReadReply        = "batpak.ReadReply"
	wireNotification     = "batpak.Notification"
	wireGap              = "batpak.Gap"
	wireSubscribed       = "batpak.Subscribed"
	wireSubscriptionEnd  = "batpak.SubscriptionEnded"
	wireUndecodable      = "batpak.Undecodable"
)

// ToWire encodes msg, a message of wire name name, as a *Wire. Packages
// that register their own messages call it from their Serialize methods.
func ToWire(name string, msg any) (remote.RootSerialized, error) {
	b, err := wireBody(msg)
	if err != nil {
		return nil, fmt.Errorf("batpak: encode %s for remote: %w", name, err)
	}
	return &Wire{Type: name, Body: b}, nil
}

// Deserialize implements remote.RootSerialized: it returns the batpak
// message w carries, or an *Undecodable when its type is unknown here or
// its body does not decode. It never returns an error, because protoactor
// drops the whole connection on one. The message may share memory with
// w.Body (an append's payload does): do not change w.Body afterwards.
func (w *Wire) Deserialize() (remote.RootSerializable, error) {
	if w == nil {
		return &Undecodable{Failure: &Error{Code: CodeUnknownMessage, Message: "batpak: empty wire message"}}, nil
	}
	wireMu.RLock()
	mk := wireTypes[w.Type]
	wireMu.RUnlock()
	if mk == nil {
		return &Undecodable{Type: w.Type, Failure: &Error{Code: CodeUnknownMessage,
			Message: fmt.Sprintf("batpak: unknown message type %q (the sender runs a version this receiver does not know)", w.Type)}}, nil
	}
	msg := mk()
	if decodeFast(w.Body, msg) {
		return msg, nil
	}
	err := checkBody(w.Body)
	if err == nil {
		err = msgpack.Unmarshal(w.Body, msg)
	}
	if err != nil {
		return &Undecodable{Type: w.Type, Failure: &Error{Code: CodeInvalidArgument,
			Message: fmt.Sprintf("batpak: malformed %s message: %v", w.Type, err)}}, nil
	}
	return msg, nil
}

// Undecodable stands for a message that arrived over protoactor remote as
// a batpak message but could not be decoded: its type is unknown to this
// receiver (Failure has CodeUnknownMessage) or its body is malformed
// (CodeInvalidArgument). The store's actors answer it with an ErrorReply
// carrying Failure, so the sender gets a typed error, not a timeout.
type Undecodable struct {
	// Type is the wire name the message arrived with.
	Type string `msgpack:"type"`
	// Failure is why it could not be decoded.
	Failure *Error `msgpack:"err"`
}

// Reply is the answer to m: an ErrorReply carrying its Failure (or, when
// it has none, ErrUnknownMessage naming its type).
func (m *Undecodable) Reply() *ErrorReply {
	if m == nil || m.Failure == nil {
		name := ""
		if m != nil {
			name = m.Type
		}
		return &ErrorReply{Failure: &Error{Code: CodeUnknownMessage, Message: "batpak: undecodable message " + name}}
	}
	return &ErrorReply{Failure: m.Failure}
}

// Serialize implements remote.RootSerializable.
func (m *Undecodable) Serialize() (remote.RootSerialized, error) { return ToWire(wireUndecodable, m) }

// Serialize implements remote.RootSerializable.
func (m *Append) Serialize() (remote.RootSerialized, error) { return ToWire(wireAppend, m) }

// Serialize implements remote.RootSerializable.
func (m *AppendBatch) Serialize() (remote.RootSerialized, error) { return ToWire(wireAppendBatch, m) }

// Serialize implements remote.RootSerializable.
func (m *AppendReply) Serialize() (remote.RootSerialized, error) { return ToWire(wireAppendReply, m) }

// Serialize implements remote.RootSerializable.
func (m *AppendBatchReply) Serialize() (remote.RootSerialized, error) {
	return ToWire(wireAppendBatchReply, m)
}

// Serialize implements remote.RootSerializable.
func (m *ErrorReply) Serialize() (remote.RootSerialized, error) { return ToWire(wireErrorReply, m) }

// Serialize implements remote.RootSerializable.
func (m *ReadStream) Serialize() (remote.RootSerialized, error) { return ToWire(wireReadStream, m) }

// Serialize implements remote.RootSerializable.
func (m *ReadQuery) Serialize() (remote.RootSerialized, error) { return ToWire(wireReadQuery, m) }

// Serialize implements remote.RootSerializable.
func (m *ReadReply) Serialize() (remote.RootSerialized, error) { return ToWire(wireReadReply, m) }

// Serialize implements remote.RootSerializable.
func (m *Notification) Serialize() (remote.RootSerialized, error) {
	return ToWire(wireNotification, m)
}

// Serialize implements remote.RootSerializable.
func (m *Gap) Serialize() (remote.RootSerialized, error) { return ToWire(wireGap, m) }

// Serialize implements remote.RootSerializable.
func (m *Subscribed) Serialize() (remote.RootSerialized, error) { return ToWire(wireSubscribed, m) }

// Serialize implements remote.RootSerializable.
func (m *SubscriptionEnded) Serialize() (remote.RootSerialized, error) {
	return ToWire(wireSubscriptionEnd, m)
}

// WireNames returns the wire names this binary can decode, sorted.
func WireNames() []string {
	wireMu.RLock()
	defer wireMu.RUnlock()
	names := make([]string, 0, len(wireTypes))
	for n := range wireTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
