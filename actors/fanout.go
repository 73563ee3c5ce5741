package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// fanoutName is the fanout's name under the supervisor.
const fanoutName = "fanout"

// Messages of the fanout.
type (
	// subscribe registers a subscriber; the fanout answers with a
	// *subscribed once it is registered.
	subscribe struct {
		pid    *actor.PID
		filter storage.Filter
		mb     *cappedMailbox // its mailbox, for the operator's gauges
	}
	subscribed struct{ from uint64 }
	// unsubscribe removes a subscriber (no answer).
	unsubscribe struct{ pid *actor.PID }
	// committed carries the events of one commit group from the writer;
	// gap: their payloads were not kept, so subscribers get a Gap instead.
	committed struct {
		events []messages.Event
		gap    bool
	}
	// ended tells every subscriber that no more notifications will come.
	ended struct{ err *messages.Error }
)

// SpanFanoutRestart is the span of a fanout failure: the fanout is
// restarted at once, keeping its subscriptions, and every subscriber gets a
// messages.Gap.
const SpanFanoutRestart = "batpak.fanout.restart"

type subscription struct {
	pid    *actor.PID
	filter storage.Filter
	from   uint64        // the first sequence the subscription covers
	remote *remoteCredit // a subscriber with credit-based flow control (messages.Subscribe); nil: a local one
}

// fanState is the fanout's state. It lives in shared, not in the actor, so
// that a restarted fanout keeps its subscriptions. Only the fanout touches
// it (its instances run one after the other).
type fanState struct {
	subs map[string]subscription
	done *messages.Error // set once the subscriptions have ended
	// at is the first sequence a failure of the fanout at this point could
	// have kept from a subscriber: the first of the group being delivered,
	// or the one after the last group delivered.
	at     uint64
	failed bool // an instance failed: the next one signals a gap

	storm *faults.Storm // test-only: panic on every N-th group; nil unless armed

	remote remoteTally // what remote subscriptions have in flight
}

// fanout delivers committed events to subscribers. It filters before
// delivery and sends with ctx.Send, which never blocks: each subscriber's
// queue is bounded by its own capped mailbox (see cappedMailbox), or for a
// subscriber on another node by credit (see remote_subscribe_fanout.go),
// so a slow subscriber costs the writer nothing. Dead subscribers are
// watched and removed. If it panics, its supervisor restarts it at once (never
// spending the writer's budget); the new instance keeps the subscriptions
// and sends each subscriber a messages.Gap from the first sequence that may
// have been lost, so a Cursor catches up from the log.
type fanout struct {
	sh *shared
	st *fanState
}

func newFanout(sh *shared) actor.Producer {
	return func() actor.Actor {
		if sh.fan.subs == nil {
			sh.fan.subs = map[string]subscription{}
		}
		return &fanout{sh: sh, st: &sh.fan}
	}
}

// Receive implements actor.Actor.
func (f *fanout) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *subscribe:
		if f.st.done != nil {
			ctx.Send(m.pid, &messages.SubscriptionEnded{Err: f.st.done})
			ctx.Respond(&subscribed{})
			return
		}
		from := f.register(ctx, subscription{pid: m.pid, filter: m.filter}, m.mb)
		ctx.Respond(&subscribed{from: from})
	case *unsubscribe:
		f.remove(ctx, m.pid)
	case *messages.Subscribe:
		f.subscribeRemote(ctx, m)
	case *messages.Unsubscribe:
		f.unsubscribeRemote(ctx, m)
	case *messages.SubscriptionAck:
		f.ack(m)
	case *messages.Undecodable:
		if ctx.Sender() != nil {
			ctx.Respond(m.Reply())
		}
	case *actor.Terminated:
		f.remove(ctx, m.Who)
	case *committed:
		defer f.sh.ops.subs.fanoutAt(f.st)
		if m.gap {
			f.gap(ctx, m.events)
			f.st.at = m.events[len(m.events)-1].Sequence + 1
			return
		}
		f.deliver(ctx, m.events)
	case *ended:
		f.end(ctx, m.err)
		if ctx.Sender() != nil {
			ctx.Respond(&subscribed{})
		}
	case *actor.Restarting:
		f.st.failed = true
	case *actor.Started:
		if f.st.failed {
			f.st.failed = false
			for _, s := range f.st.subs {
				f.signalGap(ctx, s, max(f.st.at, s.from))
			}
		}
	case *actor.Stopping:
		f.endOnStop(ctx)
	case *actor.Stopped:
	default:
		if f.fault(m) {
			return
		}
		if ctx.Sender() != nil {
			ctx.Respond(&messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
				Message: "batpak fanout: unknown message; subscribe with Store.Subscribe, or messages.Subscribe from another node"}})
		}
	}
}

// from is the first sequence a new subscriber is promised.
func (f *fanout) from() uint64 {
	if e := f.sh.engine.Load(); e != nil {
		return e.Stats().NextSequence
	}
	return 0
}

// register adds s (its from set here) and sends its subscriber the
// *messages.Subscribed; mb is its capped mailbox (nil for a remote one).
func (f *fanout) register(ctx actor.Context, s subscription, mb *cappedMailbox) uint64 {
	f.sh.subMu.Lock() // see writer.publish
	f.sh.subscribers.Add(1)
	s.from = f.from()
	f.sh.subMu.Unlock()
	f.st.subs[s.pid.String()] = s
	f.sh.ops.subs.add(s.pid, mb, s.from)
	ctx.Send(s.pid, &messages.Subscribed{From: s.from})
	ctx.Watch(s.pid)
	return s.from
}

// signalGap tells s's subscriber that events from first on may be missing
// (a remote one only if no Gap of its is pending: see gapRemote).
func (f *fanout) signalGap(ctx actor.Context, s subscription, first uint64) {
	if s.remote != nil {
		f.gapRemote(ctx, s, first, false)
		return
	}
	ctx.Send(s.pid, &messages.Gap{FirstMissed: first})
}

func (f *fanout) remove(ctx actor.Context, pid *actor.PID) {
	if _, ok := f.st.subs[pid.String()]; ok {
		delete(f.st.subs, pid.String())
		f.sh.ops.subs.remove(pid)
		f.sh.subscribers.Add(-1)
		ctx.Unwatch(pid)
	}
}

func (f *fanout) deliver(ctx actor.Context, events []messages.Event) {
	f.st.at = events[0].Sequence
	crash := f.st.storm != nil && f.storming()
	i := 0
	for _, s := range f.st.subs {
		if crash && i == len(f.st.subs)/2 {
			panic("batpak fanout: injected panic in the middle of a group")
		}
		i++
		if mine := matching(s.filter, events); len(mine) > 0 {
			if s.remote == nil {
				ctx.Send(s.pid, &messages.Notification{Events: mine})
			} else {
				f.notifyRemote(ctx, s, mine)
			}
		}
	}
	f.st.at = events[len(events)-1].Sequence + 1
}

// gap tells every subscriber with a matching event in events to read them
// from the log.
func (f *fanout) gap(ctx actor.Context, events []messages.Event) {
	for _, s := range f.st.subs {
		if mine := matching(s.filter, events); len(mine) > 0 {
			f.signalGap(ctx, s, mine[0].Sequence)
		}
	}
}

// matching returns the events that pass filter. When all do, it returns
// events itself: notifications share the group's slice (subscribers must
// not modify what they receive), so a subscriber without a filter costs no
// copy.
func matching(filter storage.Filter, events []messages.Event) []messages.Event {
	for i := range events {
		if filter.Match(&events[i]) {
			continue
		}
		mine := append(make([]messages.Event, 0, len(events)-1), events[:i]...)
		for j := i + 1; j < len(events); j++ {
			if filter.Match(&events[j]) {
				mine = append(mine, events[j])
			}
		}
		return mine
	}
	return events
}
