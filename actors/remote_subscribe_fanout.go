package actors

import (
	"context"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The fanout's side of remote subscriptions (messages.Subscribe). A local
// subscriber's queue is bounded by its capped mailbox, in this process; a
// remote one's mailbox is on another node, so the fanout bounds it by
// credit instead: it keeps, per subscription, how many events it has sent
// and how many the subscriber has acknowledged handling
// (messages.SubscriptionAck), and sends a notification only while the
// events in flight stay within the capacity. A notification that does
// not fit becomes one messages.Gap, sent at once, as a capped mailbox
// posts one; every later notification is dropped (the Gap covers it)
// until the subscriber acknowledges taking that Gap from its queue, just
// as a capped mailbox queues again once the Gap is taken. So node A's
// outgoing queue and the subscriber's mailbox hold at most the capacity
// of events of the subscription, plus one Gap, whatever the subscriber's
// speed.
//
// Why nothing is lost across a Gap: the subscriber acks the Gap before it
// reads the log, and both go from its node to this one over one
// connection, in order; so the ack is in the fanout's mailbox before the
// reader takes the read. An event the read does not see was published
// after the read began, so its group reaches the fanout after the ack,
// when the fanout is sending again.

// remoteCredit is a remote subscription's flow control. Only the fanout
// touches it.
type remoteCredit struct {
	capacity    uint64 // the most events in flight
	sent        uint64 // events sent in notifications
	handled     uint64 // of those, acknowledged handled (<= sent)
	gapsSent    uint64 // Gaps sent
	gapsHandled uint64 // of those, acknowledged taken (<= gapsSent)
}

// inGap reports whether a Gap is sent and not yet taken: notifications
// are then covered by it and dropped.
func (r *remoteCredit) inGap() bool { return r.gapsHandled < r.gapsSent }

// remoteTally is what the fanout has in flight to remote subscribers,
// readable from outside the fanout (tests, gauges).
type remoteTally struct {
	// peak is the most events one remote subscription has had in flight
	// (sent, not acknowledged): never above its capacity.
	peak atomic.Int64
}

func (t *remoteTally) note(inFlight uint64) {
	for n := int64(inFlight); ; {
		p := t.peak.Load()
		if n <= p || t.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// pidOf is the PID ref names.
func pidOf(ref messages.ActorRef) *actor.PID { return actor.NewPID(ref.Address, ref.ID) }

// refOf names pid in messages.
func refOf(pid *actor.PID) messages.ActorRef {
	return messages.ActorRef{Address: pid.Address, ID: pid.Id}
}

// subscribeRemote registers a remote subscriber under credit-based flow
// control, as register does a local one, and answers with a
// *messages.SubscribeReply.
func (f *fanout) subscribeRemote(ctx actor.Context, m *messages.Subscribe) {
	reply := func(r *messages.SubscribeReply) {
		if ctx.Sender() != nil {
			ctx.Respond(r)
		}
	}
	if err := m.Validate(); err != nil {
		reply(&messages.SubscribeReply{Failure: messages.ToError(err)})
		return
	}
	pid := pidOf(m.Subscriber)
	if f.st.done != nil {
		ctx.Send(pid, &messages.SubscriptionEnded{Err: f.st.done})
		reply(&messages.SubscribeReply{})
		return
	}
	if s, ok := f.st.subs[pid.String()]; ok { // a retried request
		reply(&messages.SubscribeReply{From: s.from})
		return
	}
	capacity := m.Capacity
	if capacity == 0 {
		capacity = DefaultSubscriberCapacity
	}
	filter := storage.Filter{EntityPrefix: m.EntityPrefix, Scope: m.Scope, Kinds: m.Kinds}
	from := f.register(ctx, subscription{pid: pid, filter: filter, remote: &remoteCredit{capacity: uint64(capacity)}}, nil)
	reply(&messages.SubscribeReply{From: from})
}

// unsubscribeRemote removes the subscription an Unsubscribe names (a nil
// one names none).
func (f *fanout) unsubscribeRemote(ctx actor.Context, m *messages.Unsubscribe) {
	if m != nil {
		f.remove(ctx, pidOf(m.Subscriber))
	}
}

// ack takes a remote subscriber's acknowledgement. Its counts are
// cumulative: an old or repeated ack changes nothing, and counts beyond
// what was sent are ignored, so a peer cannot raise its credit beyond its
// capacity.
func (f *fanout) ack(m *messages.SubscriptionAck) {
	if m == nil {
		return
	}
	s, ok := f.st.subs[pidOf(m.Subscriber).String()]
	if !ok || s.remote == nil {
		return // unsubscribed meanwhile, or not a remote subscription
	}
	r := s.remote
	r.handled = max(r.handled, min(m.Handled, r.sent))
	r.gapsHandled = max(r.gapsHandled, min(m.Gaps, r.gapsSent))
}

// notifyRemote sends events to a remote subscriber if its credit allows,
// else signals a Gap from the first of them.
func (f *fanout) notifyRemote(ctx actor.Context, s subscription, events []messages.Event) {
	r := s.remote
	if r.inGap() {
		return // covered by the Gap sent
	}
	n := uint64(len(events))
	if r.sent-r.handled+n > r.capacity {
		f.gapRemote(ctx, s, events[0].Sequence, true)
		return
	}
	r.sent += n
	f.st.remote.note(r.sent - r.handled)
	ctx.Send(s.pid, &messages.Notification{Events: events})
}

// gapRemote sends a remote subscriber a Gap from first, unless one of its
// Gaps is pending: that one names an earlier sequence and covers first.
// overflow: its credit ran out (counted as a local queue's overflow is).
func (f *fanout) gapRemote(ctx actor.Context, s subscription, first uint64, overflow bool) {
	r := s.remote
	if r.inGap() {
		return
	}
	r.gapsSent++
	if overflow {
		f.sh.gaps.Add(1)
		f.sh.tel.gaps.Add(context.Background(), 1, f.sh.tel.store)
	}
	ctx.Send(s.pid, &messages.Gap{FirstMissed: first})
}
