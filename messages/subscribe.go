package messages

import (
	"fmt"

	"github.com/asynkron/protoactor-go/remote"
)

// Subscriptions from another node. A subscriber on node B subscribes to a
// store on node A by sending a *Subscribe to the store's fanout (its PID
// is Config.Name+"/fanout" at node A's address; actors.Store.Fanout). The
// fanout answers with a *SubscribeReply and then sends the subscriber the
// same messages a local subscriber gets: *Subscribed first, then
// *Notification in global order, *Gap, and *SubscriptionEnded.
//
// Flow control is by credit: the fanout has at most Capacity events sent
// to the subscriber and not yet acknowledged by a *SubscriptionAck. When a
// notification does not fit, it sends one *Gap naming the first sequence
// missed, as a local subscriber's full queue does, and drops every later
// notification until the subscriber acknowledges that Gap: the subscriber
// reads the log from there (through the store's reader), then goes on
// with live notifications. So neither node A nor the subscriber's node
// holds more than Capacity events of one subscription, however slow the
// subscriber is. actors.SubscribeRemote speaks this protocol for a user's
// actor; writing it by hand is rarely needed.

// MaxSubscribeCapacity is the largest Subscribe.Capacity a store accepts:
// the most events of one remote subscription in flight between the store
// and the subscriber.
const MaxSubscribeCapacity = 1 << 16

// ActorRef names an actor anywhere: the address of its actor system and
// its id there (the two fields of a protoactor PID).
type ActorRef struct {
	// Address is the actor system's remote address, "host:port".
	Address string `msgpack:"addr"`
	// ID is the actor's id in that system.
	ID string `msgpack:"id"`
}

// validate checks that r names an actor.
func (r ActorRef) validate(field string) error {
	if r.Address == "" || r.ID == "" {
		return &Error{Code: CodeInvalidArgument,
			Message: fmt.Sprintf("batpak: %s needs an address and an id, got %q at %q", field, r.ID, r.Address)}
	}
	return nil
}

// Subscribe registers the actor Subscriber with a store's fanout, under a
// filter, with credit-based flow control. The fanout answers the sender
// with a *SubscribeReply; the subscriber itself then gets a *Subscribed.
// Subscribing an actor that is already subscribed changes nothing and is
// answered with its subscription's From.
type Subscribe struct {
	// Subscriber is the actor that gets the notifications. The store
	// watches it: when it stops, or its node is lost, the subscription is
	// removed.
	Subscriber ActorRef `msgpack:"sub"`
	// EntityPrefix keeps entities that start with it ("" = all). It is
	// checked as a ReadQuery's is.
	EntityPrefix string `msgpack:"prefix"`
	// Scope keeps only this scope when non-empty.
	Scope string `msgpack:"scope"`
	// Kinds keeps only these kinds when non-empty.
	Kinds EventKinds `msgpack:"kinds"`
	// Capacity is the most events the store sends and the subscriber has
	// not acknowledged yet: 0 takes the store's default
	// (actors.DefaultSubscriberCapacity), at most MaxSubscribeCapacity.
	Capacity int `msgpack:"cap"`
}

// Validate checks the subscriber, the filter and the capacity. A bad
// prefix or scope is a *CoordinateError (ErrInvalidCoordinate); anything
// else wraps ErrInvalidArgument.
func (s *Subscribe) Validate() error {
	if s == nil {
		return &Error{Code: CodeInvalidArgument, Message: "batpak: nil subscribe request"}
	}
	if err := s.Subscriber.validate("Subscribe.Subscriber"); err != nil {
		return err
	}
	q := ReadQuery{EntityPrefix: s.EntityPrefix, Scope: s.Scope}
	if err := q.Validate(); err != nil {
		return err
	}
	if s.Capacity < 0 || s.Capacity > MaxSubscribeCapacity {
		return &Error{Code: CodeInvalidArgument,
			Message: fmt.Sprintf("batpak: subscribe capacity %d not in [0, %d]", s.Capacity, MaxSubscribeCapacity)}
	}
	return nil
}

// SubscribeReply answers a Subscribe: where the subscription starts, or
// why it was refused. Test it with Err. A store that is already closed
// (or whose writer stopped for good) accepts the request with From 0 and
// sends the subscriber a *SubscriptionEnded at once, as a local Subscribe
// does.
type SubscribeReply struct {
	// From is the global sequence of the first event the subscription
	// covers; the subscriber's *Subscribed carries it too.
	From uint64 `msgpack:"from"`
	// Failure is why the subscription was refused (nothing was
	// registered); nil on success. Read it through Err.
	Failure *Error `msgpack:"err,omitempty"`
}

// Err returns the failure, or a plain nil error when the subscription was
// registered. A nil reply is not a success.
func (r *SubscribeReply) Err() error {
	if r == nil {
		return nilReply()
	}
	return plain(r.Failure)
}

// Unsubscribe removes the subscription of Subscriber (the actor keeps
// running). It is not answered; notifications already sent may still
// arrive. An unknown subscriber is ignored.
type Unsubscribe struct {
	// Subscriber is the actor whose subscription ends.
	Subscriber ActorRef `msgpack:"sub"`
}

// SubscriptionAck gives a remote subscription its credit back. Its counts
// are cumulative since the subscription began, so acks may be repeated,
// lost (a later one covers them) or reordered without harm; counts beyond
// what the store has sent are ignored.
type SubscriptionAck struct {
	// Subscriber is the subscribed actor.
	Subscriber ActorRef `msgpack:"sub"`
	// Handled is how many events of its notifications the subscriber has
	// handled. The store sends at most Capacity events beyond it.
	Handled uint64 `msgpack:"handled"`
	// Gaps is how many Gaps the subscriber has taken from its queue. The
	// store sends no notification while it has sent a Gap not counted
	// here; the subscriber must send this ack before it reads the log for
	// that Gap, so that an event committed after its read is notified.
	Gaps uint64 `msgpack:"gaps"`
}

// Wire names of this file's messages.
const (
	wireSubscribe       = "batpak.Subscribe"
	wireSubscribeReply  = "batpak.SubscribeReply"
	wireUnsubscribe     = "batpak.Unsubscribe"
	wireSubscriptionAck = "batpak.SubscriptionAck"
)

func init() {
	RegisterWire(wireSubscribe, func() remote.RootSerializable { return new(Subscribe) })
	RegisterWire(wireSubscribeReply, func() remote.RootSerializable { return new(SubscribeReply) })
	RegisterWire(wireUnsubscribe, func() remote.RootSerializable { return new(Unsubscribe) })
	RegisterWire(wireSubscriptionAck, func() remote.RootSerializable { return new(SubscriptionAck) })
}

// Serialize implements remote.RootSerializable.
func (s *Subscribe) Serialize() (remote.RootSerialized, error) { return ToWire(wireSubscribe, s) }

// Serialize implements remote.RootSerializable.
func (r *SubscribeReply) Serialize() (remote.RootSerialized, error) {
	return ToWire(wireSubscribeReply, r)
}

// Serialize implements remote.RootSerializable.
func (u *Unsubscribe) Serialize() (remote.RootSerialized, error) { return ToWire(wireUnsubscribe, u) }

// Serialize implements remote.RootSerializable.
func (a *SubscriptionAck) Serialize() (remote.RootSerialized, error) {
	return ToWire(wireSubscriptionAck, a)
}
