package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// DefaultRemoteTimeout bounds each request SubscribeRemote and a remote
// Cursor (NewRemoteCursor) send to a store on another node: the Subscribe
// and each page of a catch-up.
const DefaultRemoteTimeout = 10 * time.Second

// SubscribeRemote subscribes to a store on another node: it spawns a
// subscriber actor from props with spawner (an actor's Context, or
// sys.Root), on this node, and registers it with the store's fanout,
// gateway: Store.Fanout at the store's node address,
// actor.NewPID(address, "batpak/fanout") for a store spawned at the root
// with the default Config.Name. It returns the actor's PID and from, the first sequence
// the subscription covers, as Store.Subscribe does, and the actor gets
// exactly what a local subscriber gets: a *messages.Subscribed{From}
// first, then every committed event of sequence >= from that matches
// filter (entity prefix, scope, kinds) in a *messages.Notification, in
// order, or covered by a *messages.Gap; a *messages.SubscriptionEnded when
// the store closes or its writer stops for good.
//
// capacity (0: DefaultSubscriberCapacity, at most
// messages.MaxSubscribeCapacity) bounds the events in flight: the store
// sends at most capacity events the actor has not handled yet, and the
// actor's mailbox acknowledges them as it handles them (see
// messages.SubscriptionAck); when a notification does not fit, the actor
// gets a Gap with the first sequence missed, exactly as a local
// subscriber whose queue overflowed. So a slow subscriber costs neither
// node more than capacity events. The credit comes back over the
// network: a subscriber keeps up only if capacity covers the events
// committed (that match filter) during a round trip between the nodes,
// else it gets Gaps (and catches up from the log) even though it handles
// every notification at once. To catch up from the log after a Gap,
// deliver through a Cursor made with NewRemoteCursor, outside props'
// producer, as with Store.Subscribe.
//
// The store watches the actor: when it stops, or this node is lost, the
// subscription is removed. A panicking actor is restarted by protoactor
// (its subscription stays) and loses the message it panicked on.
// UnsubscribeRemote ends the subscription and leaves the actor running.
// A store that is closed has no fanout any more: SubscribeRemote then
// fails with an error matching actor.ErrDeadLetter.
// This node must run protoactor remote (remote.NewRemote(...).Start())
// unless gateway is in its own actor system. On an error (the store
// refused the subscription, or did not answer within
// DefaultRemoteTimeout) the actor is stopped again.
func SubscribeRemote(spawner actor.SpawnerContext, gateway *actor.PID, props *actor.Props, filter storage.Filter, capacity int) (*actor.PID, uint64, error) {
	pid, from, _, err := subscribeRemote(spawner, gateway, props, filter, capacity)
	return pid, from, err
}

// UnsubscribeRemote removes the subscription of pid, a subscriber made by
// SubscribeRemote with gateway, from the store (the actor keeps running;
// notifications already on their way may still arrive). A nil argument
// makes it do nothing.
func UnsubscribeRemote(sender actor.SenderContext, gateway, pid *actor.PID) {
	if sender == nil || gateway == nil || pid == nil {
		return
	}
	sender.Send(gateway, &messages.Unsubscribe{Subscriber: refOf(pid)})
}

// noRemote is the address of an actor system that runs no protoactor
// remote (protoactor's own constant is unexported).
const noRemote = "nonhost"

// subscribeRemote is SubscribeRemote, also returning the subscriber's
// mailbox (for tests).
func subscribeRemote(spawner actor.SpawnerContext, gateway *actor.PID, props *actor.Props, filter storage.Filter, capacity int) (*actor.PID, uint64, *creditMailbox, error) {
	if spawner == nil || gateway == nil || props == nil {
		return nil, 0, nil, fmt.Errorf("batpak: SubscribeRemote needs a spawner, a gateway and props: %w", messages.ErrInvalidArgument)
	}
	if capacity == 0 {
		capacity = DefaultSubscriberCapacity
	}
	req := &messages.Subscribe{EntityPrefix: filter.EntityPrefix, Scope: filter.Scope, Kinds: filter.Kinds, Capacity: capacity,
		Subscriber: messages.ActorRef{Address: "-", ID: "-"}} // checked with a placeholder, before anything is spawned
	if err := req.Validate(); err != nil {
		return nil, 0, nil, err
	}
	sys := spawner.ActorSystem()
	if sys.Address() == noRemote && gateway.Address != noRemote {
		return nil, 0, nil, fmt.Errorf("batpak: SubscribeRemote to %s: this actor system runs no protoactor remote, so the store could not reach the subscriber: %w",
			gateway.Address, messages.ErrInvalidArgument)
	}
	mb := newCreditMailbox(sys, gateway, capacity)
	own := *props // Configure changes the Props it is called on: never the caller's
	pid := spawner.Spawn(own.Configure(actor.WithMailbox(func() actor.Mailbox { return mb })))
	req.Subscriber = refOf(pid)
	mb.self.Store(&req.Subscriber)
	from, err := askSubscribe(sys, gateway, req)
	if err != nil {
		sys.Root.Send(gateway, &messages.Unsubscribe{Subscriber: req.Subscriber}) // in case it was registered
		sys.Root.Stop(pid)
		return nil, 0, nil, err
	}
	return pid, from, mb, nil
}

// askSubscribe sends req to gateway and returns the subscription's first
// sequence.
func askSubscribe(sys *actor.ActorSystem, gateway *actor.PID, req *messages.Subscribe) (uint64, error) {
	res, err := sys.Root.RequestFuture(gateway, req, DefaultRemoteTimeout).Result()
	if errors.Is(err, actor.ErrTimeout) {
		return 0, fmt.Errorf("batpak: subscribe at %s/%s: no answer within %v: %w", gateway.Address, gateway.Id, DefaultRemoteTimeout, context.DeadlineExceeded)
	}
	if errors.Is(err, actor.ErrDeadLetter) {
		return 0, fmt.Errorf("batpak: subscribe at %s/%s: no such actor (the store is closed, or this is not its fanout): %w", gateway.Address, gateway.Id, err)
	}
	if err != nil {
		return 0, fmt.Errorf("batpak: subscribe at %s/%s: %w", gateway.Address, gateway.Id, err)
	}
	r, ok := res.(*messages.SubscribeReply)
	if !ok {
		return 0, unexpected(res)
	}
	if err := r.Err(); err != nil {
		return 0, err
	}
	return r.From, nil
}
