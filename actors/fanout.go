package actors

import (
	"github.com/asynkron/protoactor-go/actor"
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
	}
	subscribed struct{ from uint64 }
	// unsubscribe removes a subscriber (no answer).
	unsubscribe struct{ pid *actor.PID }
	// committed carries the events of one commit group from the writer.
	committed struct{ events []messages.Event }
	// ended tells every subscriber that no more notifications will come.
	ended struct{ err *messages.Error }
)

type subscription struct {
	pid    *actor.PID
	filter storage.Filter
}

// fanout delivers committed events to subscribers. It filters before
// delivery and sends with ctx.Send, which never blocks: each subscriber's
// queue is bounded by its own capped mailbox (see cappedMailbox), so a slow
// subscriber costs the writer nothing. Dead subscribers are watched and
// removed.
type fanout struct {
	sh   *shared
	subs map[string]subscription
	done *messages.Error
}

func newFanout(sh *shared) actor.Producer {
	return func() actor.Actor { return &fanout{sh: sh, subs: map[string]subscription{}} }
}

// Receive implements actor.Actor.
func (f *fanout) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *subscribe:
		if f.done != nil {
			ctx.Send(m.pid, &messages.SubscriptionEnded{Err: f.done})
			ctx.Respond(&subscribed{})
			return
		}
		f.subs[m.pid.String()] = subscription{pid: m.pid, filter: m.filter}
		f.sh.subscribers.Add(1)
		from := f.from() // after the count: see writer.commit
		ctx.Send(m.pid, &messages.Subscribed{From: from})
		ctx.Watch(m.pid)
		ctx.Respond(&subscribed{from: from})
	case *unsubscribe:
		f.remove(ctx, m.pid)
	case *actor.Terminated:
		f.remove(ctx, m.Who)
	case *committed:
		f.deliver(ctx, m.events)
	case *ended:
		f.done = m.err
		for _, s := range f.subs {
			ctx.Send(s.pid, &messages.SubscriptionEnded{Err: m.err})
			ctx.Unwatch(s.pid)
		}
		f.sh.subscribers.Add(-int64(len(f.subs)))
		clear(f.subs)
		if ctx.Sender() != nil {
			ctx.Respond(&subscribed{})
		}
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		if ctx.Sender() != nil {
			ctx.Respond(&messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
				Message: "batpak fanout: unknown message; subscribe with Store.Subscribe"}})
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

func (f *fanout) remove(ctx actor.Context, pid *actor.PID) {
	if _, ok := f.subs[pid.String()]; ok {
		delete(f.subs, pid.String())
		f.sh.subscribers.Add(-1)
		ctx.Unwatch(pid)
	}
}

func (f *fanout) deliver(ctx actor.Context, events []messages.Event) {
	for _, s := range f.subs {
		if mine := matching(s.filter, events); len(mine) > 0 {
			ctx.Send(s.pid, &messages.Notification{Events: mine})
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
