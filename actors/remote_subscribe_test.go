package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func TestRemoteSubscriberGetsSubscribedThenEveryEventInOrder(t *testing.T) {
	n := startTwoNodes(t)
	// The ids SubscribeRemote's and NewRemoteCursor's docs name.
	require.Equal(t, "batpak/fanout", n.a.info.Fanout)
	require.Equal(t, "batpak/reader", n.a.info.Reader)
	n.appendN(t, "before/", 3) // sequences 0..2: before the subscription
	r := n.followRemote(t, storage.Filter{}, 0, nil)
	require.Equal(t, uint64(3), r.from)
	require.Equal(t, &messages.Subscribed{From: 3}, r.next(t), "Subscribed comes first")
	require.Equal(t, int64(1), n.count(t, "subscribers"))

	want := n.appendN(t, "order/", 40)
	want = append(want, n.batch(t, "batch", 10)...)
	require.Equal(t, seqRange(3, 53), want)
	require.Equal(t, want, sequences(r.take(t, len(want))))
	r.settle(t, n.sysB) // the cursor's counters are the subscriber's: read them after it
	require.Zero(t, r.cursor.Gaps, "a subscriber that keeps up sees no gap")
	require.Zero(t, r.cursor.CaughtUp)
	require.Zero(t, n.count(t, "gaps"))
	// The batch came as one notification, the rest one each.
	notes := 0
	for len(r.seen) > 0 {
		m := <-r.seen
		require.IsType(t, &messages.Notification{}, m)
		notes++
	}
	require.Equal(t, 41, notes)
}

func TestRemoteSlowSubscriberGetsGapThenCatchesUpExactlyOnce(t *testing.T) {
	n := startTwoNodes(t)
	gate := make(chan struct{})
	const capacity = 4
	r := n.followRemote(t, storage.Filter{}, capacity, gate)
	require.Equal(t, &messages.Subscribed{From: 0}, r.next(t))

	// The subscriber blocks in its first notification: nothing is acked,
	// so the store sends sequences 0..3 and then a Gap from 4, and drops
	// the rest.
	n.appendN(t, "order/", 20)
	n.eventually(t, "gaps", 1)
	close(gate)

	got := r.take(t, 20)
	require.Equal(t, seqRange(0, 20), sequences(got))
	for i := 0; i < capacity; i++ {
		require.IsType(t, &messages.Notification{}, r.next(t))
	}
	require.Equal(t, &messages.Gap{FirstMissed: capacity}, r.next(t))
	r.settle(t, n.sysB)
	require.Equal(t, 1, r.cursor.Gaps)
	require.Equal(t, 20-capacity, r.cursor.CaughtUp, "read from the remote reader")

	// Live again: later events arrive as notifications, each once (one
	// at a time: with a capacity of 4, faster appends could outrun the
	// acks' round trip and make another Gap).
	for seq := uint64(20); seq < 30; seq++ {
		n.appendN(t, "order/", 1)
		require.Equal(t, []uint64{seq}, sequences(r.take(t, 1)))
	}
	require.Equal(t, int64(1), n.count(t, "gaps"))
	r.settle(t, n.sysB)
	require.Equal(t, 20-capacity, r.cursor.CaughtUp)
	require.Empty(t, r.out, "nothing delivered twice")
}

func TestRemoteBlockedSubscriberKeepsMemoryBounded(t *testing.T) {
	n := startTwoNodes(t)
	gate := make(chan struct{})
	const capacity = 8
	r := n.followRemote(t, storage.Filter{}, capacity, gate)

	// 250 events while the subscriber is blocked, in groups of 1 and 3.
	for i := 0; i < 50; i++ {
		n.appendN(t, "order/", 2)
		n.batch(t, "b", 3)
	}
	n.eventually(t, "gaps", 1)
	// Barrier: the fanout has handled every group once a subscriber that
	// keeps up has the last event.
	barrier := n.followRemote(t, storage.Filter{}, 0, nil)
	last := n.appendN(t, "last/", 1)[0]
	require.Equal(t, uint64(250), last)
	require.Eventually(t, func() bool {
		for len(barrier.out) > 0 {
			if (<-barrier.out).Sequence == last {
				return true
			}
		}
		return false
	}, 10*time.Second, time.Millisecond)

	peak := n.count(t, "peak")
	require.LessOrEqual(t, peak, int64(capacity), "node A: events in flight to the blocked subscriber")
	require.Greater(t, peak, int64(capacity/2), "it did use its credit")
	require.LessOrEqual(t, r.mb.peak.Load(), int64(capacity), "node B: events queued for the blocked subscriber")
	require.Equal(t, int64(1), n.count(t, "gaps"), "one Gap covers everything dropped while blocked")

	close(gate)
	require.Equal(t, seqRange(0, last+1), sequences(r.take(t, int(last)+1)))
	r.settle(t, n.sysB)
	require.Empty(t, r.out)
	require.LessOrEqual(t, r.mb.peak.Load(), int64(capacity))
	require.LessOrEqual(t, n.count(t, "peak"), int64(capacity))
}

func TestRemoteSubscriberWithFilterGetsOnlyMatches(t *testing.T) {
	n := startTwoNodes(t)
	other := messages.MustKind(1, 2)
	filter := storage.Filter{EntityPrefix: "order/", Kinds: []messages.EventKind{kind}}
	r := n.followRemote(t, filter, 0, nil)
	var want []uint64
	for i := 0; i < 10; i++ {
		want = append(want, n.a.do(t, nodeCmd{Op: "append", Entity: "order/x", Kind: uint16(kind), N: 1}).Seqs...)
		n.a.do(t, nodeCmd{Op: "append", Entity: "order/y", Kind: uint16(other), N: 1})
		n.a.do(t, nodeCmd{Op: "append", Entity: "user/x", Kind: uint16(kind), N: 1})
	}
	got := r.take(t, len(want))
	require.Equal(t, want, sequences(got))
	for _, ev := range got {
		require.True(t, filter.Match(&ev), "%+v", ev)
	}
	r.settle(t, n.sysB)
	require.Empty(t, r.out)
}

func TestRemoteUnsubscribeStopsNotifications(t *testing.T) {
	n := startTwoNodes(t)
	a := n.followRemote(t, storage.Filter{}, 0, nil)
	b := n.followRemote(t, storage.Filter{}, 0, nil) // a barrier that stays subscribed
	n.appendN(t, "order/", 1)
	a.take(t, 1)
	b.take(t, 1)

	UnsubscribeRemote(n.sysB.Root, n.gateway, a.pid)
	n.eventually(t, "subscribers", 1)
	n.appendN(t, "order/", 2)
	// b has the second event once the fanout has sent everything for the
	// first, to a as well if it still were subscribed: over the one
	// connection, that would now be in a's mailbox before the probe.
	b.take(t, 2)
	a.settle(t, n.sysB)
	require.Empty(t, a.out, "no notification after Unsubscribe")
}

func TestRemoteSubscriptionDroppedWhenItsNodeIsLost(t *testing.T) {
	n := startTwoNodes(t)
	c := startStoreNode(t) // node C subscribes, then its process is killed
	c.do(t, nodeCmd{Op: "subscribe", Addr: n.a.info.Addr, ID: n.a.info.Fanout})
	require.Equal(t, int64(1), n.count(t, "subscribers"))
	n.appendN(t, "order/", 1)

	c.kill(t)
	n.eventually(t, "subscribers", 0)
	n.appendN(t, "order/", 1) // the store goes on
}

func TestRemoteSubscriberStoppedIsDropped(t *testing.T) {
	n := startTwoNodes(t)
	r := n.followRemote(t, storage.Filter{}, 0, nil)
	require.Equal(t, int64(1), n.count(t, "subscribers"))
	require.NoError(t, n.sysB.Root.StopFuture(r.pid).Wait())
	n.eventually(t, "subscribers", 0)
}

func TestRemoteSubscriberGetsSubscriptionEndedOnClose(t *testing.T) {
	n := startTwoNodes(t)
	r := n.followRemote(t, storage.Filter{}, 0, nil)
	require.IsType(t, &messages.Subscribed{}, r.next(t))
	n.a.do(t, nodeCmd{Op: "close"})
	end, ok := r.next(t).(*messages.SubscriptionEnded)
	require.True(t, ok)
	require.ErrorIs(t, end.Err, messages.ErrClosed)

	// The closed store's fanout is gone: subscribing fails at once.
	_, _, err := SubscribeRemote(n.sysB.Root, n.gateway, actor.PropsFromFunc(func(actor.Context) {}), storage.Filter{}, 0)
	require.ErrorIs(t, err, actor.ErrDeadLetter)
}

func TestRemoteSubscriberIsToldWhenTheWriterStops(t *testing.T) {
	n := startTwoNodes(t)
	r := n.followRemote(t, storage.Filter{}, 0, nil)
	require.IsType(t, &messages.Subscribed{}, r.next(t))
	n.a.do(t, nodeCmd{Op: "crash"})
	end, ok := r.next(t).(*messages.SubscriptionEnded)
	require.True(t, ok)
	require.ErrorIs(t, end.Err, messages.ErrWriterStopped)

	// Subscribing now: the subscriber is told at once, as a local one is.
	late := n.followRemote(t, storage.Filter{}, 0, nil)
	end, ok = late.next(t).(*messages.SubscriptionEnded)
	require.True(t, ok)
	require.ErrorIs(t, end.Err, messages.ErrWriterStopped)
	require.Zero(t, n.count(t, "subscribers"))
}

func TestRemoteSubscribeRefusalsAreTyped(t *testing.T) {
	n := startTwoNodes(t)
	ask := func(msg any) any {
		res, err := n.sysB.Root.RequestFuture(n.gateway, msg, 5*time.Second).Result()
		require.NoError(t, err)
		return res
	}
	sub := messages.ActorRef{Address: n.sysB.Address(), ID: "nobody"}
	rep := ask(&messages.Subscribe{Subscriber: sub, Capacity: messages.MaxSubscribeCapacity + 1}).(*messages.SubscribeReply)
	require.ErrorIs(t, rep.Err(), messages.ErrInvalidArgument)
	rep = ask(&messages.Subscribe{Subscriber: sub, Scope: "a\x00"}).(*messages.SubscribeReply)
	require.ErrorIs(t, rep.Err(), messages.ErrInvalidCoordinate)
	require.Zero(t, n.count(t, "subscribers"), "nothing registered")

	// A wire type the store does not know gets a typed error, not a timeout.
	out, err := (&messages.Wire{Type: "batpak.SubscribeV9", Body: []byte{0x80}}).Deserialize()
	require.NoError(t, err)
	er := ask(out).(*messages.ErrorReply)
	require.ErrorIs(t, er.Err(), messages.ErrUnknownMessage)

	// Refused before anything is spawned or sent.
	_, _, err = SubscribeRemote(n.sysB.Root, n.gateway, actor.PropsFromFunc(func(actor.Context) {}), storage.Filter{}, -1)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, _, err = SubscribeRemote(quietSystem().Root, n.gateway, actor.PropsFromFunc(func(actor.Context) {}), storage.Filter{}, 0)
	require.ErrorIs(t, err, messages.ErrInvalidArgument, "a node without remote cannot be reached")
}

func TestRemoteSubscribeTwiceIsOneSubscription(t *testing.T) {
	n := startTwoNodes(t)
	n.appendN(t, "order/", 2)
	r := n.followRemote(t, storage.Filter{}, 0, nil)
	res, err := n.sysB.Root.RequestFuture(n.gateway, &messages.Subscribe{Subscriber: refOf(r.pid)}, 5*time.Second).Result()
	require.NoError(t, err)
	require.Equal(t, &messages.SubscribeReply{From: r.from}, res)
	require.Equal(t, int64(1), n.count(t, "subscribers"))
}

func TestRemoteIdleSubscriberHasItsWholeCapacity(t *testing.T) {
	n := startTwoNodes(t)
	const capacity = 4
	r := n.followRemote(t, storage.Filter{}, capacity, nil)
	for i := 0; i < 3; i++ {
		n.appendN(t, "order/", 1)
		r.take(t, 1)
	}
	// Once the subscriber has handled all three (fewer than the half
	// capacity it acks at while busy), its mailbox is empty and it has
	// acked them all. A request over the same connection is a barrier:
	// the fanout takes that ack before it.
	r.settle(t, n.sysB)
	res, err := n.sysB.Root.RequestFuture(n.gateway, &messages.Subscribe{Subscriber: refOf(r.pid)}, 5*time.Second).Result()
	require.NoError(t, err)
	require.NoError(t, res.(*messages.SubscribeReply).Err())

	// So a group of the whole capacity fits, as in a local subscriber's
	// empty queue.
	want := n.batch(t, "b", capacity)
	require.Equal(t, want, sequences(r.take(t, capacity)))
	r.settle(t, n.sysB)
	require.Zero(t, r.cursor.Gaps)
	require.Zero(t, n.count(t, "gaps"))
}

// TestRemoteGapsUnderLoadLoseNothing recovers from Gaps while events keep
// coming: every event still arrives exactly once, in order. It checks that
// the subscriber's ack of a Gap reaches the store before its read of the
// log, so that nothing committed after that read is dropped.
func TestRemoteGapsUnderLoadLoseNothing(t *testing.T) {
	n := startTwoNodes(t)
	gate := make(chan struct{})
	const capacity, before, during = 8, 20, 600
	r := n.followRemote(t, storage.Filter{}, capacity, gate)
	n.appendN(t, "order/", before)
	n.eventually(t, "gaps", 1)

	n.a.send(t, nodeCmd{Op: "append", Entity: "load/", Kind: uint16(kind), N: during})
	close(gate) // catch up while the node appends
	require.Equal(t, seqRange(0, before+during), sequences(r.take(t, before+during)))
	rep := n.a.read(t)
	require.Empty(t, rep.Err)
	require.Len(t, rep.Seqs, during)
	last := n.appendN(t, "last/", 1)[0]
	require.Equal(t, []uint64{last}, sequences(r.take(t, 1)), "nothing twice")
	r.settle(t, n.sysB)
	t.Logf("gaps: %d, caught up from the log: %d of %d", r.cursor.Gaps, r.cursor.CaughtUp, before+during+1)
}
