package actors

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Fanout returns the fanout's PID. It is also where subscribers on other
// nodes subscribe (messages.Subscribe; see SubscribeRemote): its id is
// the supervisor's id+"/fanout" (Config.Name+"/fanout" for a store spawned
// at the root), the same across restarts.
func (s *Store) Fanout() *actor.PID { return s.sh.fanout }

// Subscribers returns how many subscriptions the fanout holds, local and
// remote.
func (s *Store) Subscribers() int { return int(s.sh.subscribers.Load()) }

// Gaps returns how many times a subscriber's queue overflowed (or a remote
// subscriber's credit ran out).
func (s *Store) Gaps() int64 { return s.sh.gaps.Load() }

// DefaultSubscriberCapacity bounds a subscriber's queue when Subscribe is
// given no capacity.
const DefaultSubscriberCapacity = 1024

// Subscribe spawns a subscriber actor from props with a bounded queue of
// capacity events (0: DefaultSubscriberCapacity) and registers it with the
// fanout under filter (entity prefix, scope, kinds; sequence bounds and
// limit are ignored). It returns the actor's PID and from, the first
// sequence the subscription covers: every committed event of sequence >=
// from that matches arrives as a *messages.Notification, or is covered by a
// *messages.Gap (the queue overflowed, or the fanout failed and was
// restarted). The actor's first message after Started is a
// *messages.Subscribed{From}. When the writer stops for good or the store
// closes, the actor gets a *messages.SubscriptionEnded. A stopped
// subscriber is removed; one that panics is restarted by protoactor (its
// subscription stays) and loses the message it panicked on.
//
// For exactly-once, in-order delivery across gaps and the actor's own
// failures, deliver through a Cursor made with NewCursor(filter) outside
// props' producer, so that it outlives the actor's instances:
//
//	cur := store.NewCursor(filter)
//	pid, from, err := store.Subscribe(actor.PropsFromProducer(func() actor.Actor {
//		return &mine{cursor: cur}
//	}), filter, 0)
//	// in mine.Receive: cur.Handle(ctx.Message(), mine.apply)
//
// The subscriber is spawned at the actor system's root; SubscribeFrom
// spawns it from the caller's own context (a child of the caller). props
// itself is never changed: the bounded mailbox goes on a copy.
func (s *Store) Subscribe(props *actor.Props, filter storage.Filter, capacity int) (*actor.PID, uint64, error) {
	return s.SubscribeFrom(s.sys.Root, props, filter, capacity)
}

// SubscribeFrom is Subscribe with the subscriber spawned by spawner: from
// an actor's Receive, pass its actor.Context, and the subscriber is that
// actor's child, in its supervision tree.
func (s *Store) SubscribeFrom(spawner actor.SpawnerContext, props *actor.Props, filter storage.Filter, capacity int) (*actor.PID, uint64, error) {
	if spawner == nil || props == nil {
		return nil, 0, fmt.Errorf("batpak: subscribe needs a spawner and props: %w", messages.ErrInvalidArgument)
	}
	if capacity <= 0 {
		capacity = DefaultSubscriberCapacity
	}
	own := *props // Configure changes the Props it is called on: never the caller's
	mb := newCappedMailbox(capacity, func() {
		s.sh.gaps.Add(1)
		s.sh.tel.gaps.Add(context.Background(), 1, s.sh.tel.store)
	})
	capped := own.Configure(actor.WithMailbox(func() actor.Mailbox { return mb }))
	pid := spawner.Spawn(capped)
	res, err := s.sys.Root.RequestFuture(s.sh.fanout, &subscribe{pid: pid, filter: filter, mb: mb}, s.sh.cfg.RequestTimeout).Result()
	if err != nil {
		s.sys.Root.Stop(pid)
		return nil, 0, fmt.Errorf("batpak: subscribe: %w", err)
	}
	return pid, res.(*subscribed).from, nil
}

// Unsubscribe removes a subscriber (the actor keeps running).
func (s *Store) Unsubscribe(pid *actor.PID) { s.sys.Root.Send(s.sh.fanout, &unsubscribe{pid: pid}) }
