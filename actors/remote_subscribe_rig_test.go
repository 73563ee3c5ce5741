package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// twoNodes is a store on node A (a child process) and the test's own
// node B, both running protoactor remote on loopback.
type twoNodes struct {
	a       *storeNode
	sysB    *actor.ActorSystem
	gateway *actor.PID // the store's fanout
	reader  *actor.PID // the store's reader
}

func startTwoNodes(t *testing.T) *twoNodes {
	t.Helper()
	a := startStoreNode(t)
	return &twoNodes{a: a, sysB: sharedNodeB(), gateway: a.pid(a.info.Fanout), reader: a.pid(a.info.Reader)}
}

// appendN appends n events on node A to entity prefix+i%7, one commit
// each, and returns their sequences.
func (n *twoNodes) appendN(t *testing.T, prefix string, count int) []uint64 {
	t.Helper()
	return n.a.do(t, nodeCmd{Op: "append", Entity: prefix, Kind: uint16(kind), N: count}).Seqs
}

// batch appends count events on node A in one batch.
func (n *twoNodes) batch(t *testing.T, entity string, count int) []uint64 {
	t.Helper()
	return n.a.do(t, nodeCmd{Op: "batch", Entity: entity, Kind: uint16(kind), N: count}).Seqs
}

// count asks node A for one of its counters ("gaps", "subscribers",
// "peak").
func (n *twoNodes) count(t *testing.T, op string) int64 {
	t.Helper()
	return n.a.do(t, nodeCmd{Op: op}).N
}

// eventually waits until node A's counter op is want.
func (n *twoNodes) eventually(t *testing.T, op string, want int64) {
	t.Helper()
	require.Eventually(t, func() bool { return n.count(t, op) == want }, 10*time.Second, time.Millisecond, "%s != %d", op, want)
}

// probe asks a remoteFollower to close the channel once it has handled
// everything queued before it.
type probe chan struct{}

// remoteFollower is a subscriber on node B: it records every message it
// gets (in seen) and delivers through a remote Cursor into out; while
// gate is open (not closed) it waits on it before each notification.
type remoteFollower struct {
	cursor *Cursor
	out    chan<- messages.Event
	seen   chan<- any
	gate   <-chan struct{}
}

func (f *remoteFollower) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case probe:
		close(m)
		return
	case *messages.Notification:
		if f.gate != nil {
			<-f.gate
		}
		f.seen <- m
	case *messages.Subscribed, *messages.Gap, *messages.SubscriptionEnded:
		f.seen <- m
	}
	if _, err := f.cursor.Handle(ctx.Message(), func(ev messages.Event) error { f.out <- ev; return nil }); err != nil {
		panic(err)
	}
}

type remoteRig struct {
	pid    *actor.PID
	from   uint64
	mb     *creditMailbox
	cursor *Cursor
	out    chan messages.Event
	seen   chan any
}

// followRemote subscribes a remoteFollower from node B.
func (n *twoNodes) followRemote(t *testing.T, filter storage.Filter, capacity int, gate <-chan struct{}) *remoteRig {
	t.Helper()
	r := &remoteRig{out: make(chan messages.Event, 100_000), seen: make(chan any, 100_000),
		cursor: NewRemoteCursor(n.sysB, n.reader, filter)}
	pid, from, mb, err := subscribeRemote(n.sysB.Root, n.gateway, actor.PropsFromProducer(func() actor.Actor {
		return &remoteFollower{cursor: r.cursor, out: r.out, seen: r.seen, gate: gate}
	}), filter, capacity)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.sysB.Root.StopFuture(pid).Wait() })
	r.pid, r.from, r.mb = pid, from, mb
	return r
}

// take waits for the next n events the subscriber delivers.
func (r *remoteRig) take(t *testing.T, n int) []messages.Event {
	t.Helper()
	var evs []messages.Event
	for len(evs) < n {
		select {
		case ev := <-r.out:
			evs = append(evs, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d events", len(evs), n)
		}
	}
	return evs
}

// next waits for the next message the subscriber records.
func (r *remoteRig) next(t *testing.T) any {
	t.Helper()
	select {
	case m := <-r.seen:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return nil
	}
}

// settle waits until the subscriber has handled everything queued so far.
func (r *remoteRig) settle(t *testing.T, sys *actor.ActorSystem) {
	t.Helper()
	p := make(probe)
	sys.Root.Send(r.pid, p)
	select {
	case <-p:
	case <-time.After(10 * time.Second):
		t.Fatal("the subscriber did not answer the probe")
	}
}

func sequences(evs []messages.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Sequence
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s < to; s++ {
		out = append(out, s)
	}
	return out
}
