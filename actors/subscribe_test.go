package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// follower is a subscriber actor that delivers through a Cursor into a
// channel; while gate is non-nil it waits on it before each message, to
// play a slow consumer.
type follower struct {
	cursor *Cursor
	out    chan<- messages.Event
	ended  chan<- *messages.SubscriptionEnded
	gate   <-chan struct{}
}

func (f *follower) Receive(ctx actor.Context) {
	if f.gate != nil {
		if _, ok := ctx.Message().(*messages.Notification); ok {
			<-f.gate
		}
	}
	switch m := ctx.Message().(type) {
	case *messages.SubscriptionEnded:
		f.ended <- m
	default:
		if _, err := f.cursor.Handle(m, func(ev messages.Event) error { f.out <- ev; return nil }); err != nil {
			panic(err)
		}
	}
}

type followerRig struct {
	pid    *actor.PID
	out    chan messages.Event
	ended  chan *messages.SubscriptionEnded
	cursor *Cursor
}

func follow(t *testing.T, s *Store, filter storage.Filter, capacity int, gate <-chan struct{}) *followerRig {
	r := &followerRig{out: make(chan messages.Event, 100_000), ended: make(chan *messages.SubscriptionEnded, 1),
		cursor: s.NewCursor(filter)}
	pid, _, err := s.Subscribe(actor.PropsFromProducer(func() actor.Actor {
		return &follower{cursor: r.cursor, out: r.out, ended: r.ended, gate: gate}
	}), filter, capacity)
	require.NoError(t, err)
	r.pid = pid
	return r
}

func (r *followerRig) take(t *testing.T, n int) []messages.Event {
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

func TestSubscribersGetWhatMatchesInOrder(t *testing.T) {
	f := spawn(t, Config{})
	orders := follow(t, f.store, storage.Filter{EntityPrefix: "order/"}, 0, nil)
	all := follow(t, f.store, storage.Filter{}, 0, nil)
	var want []messages.ID
	for i := 0; i < 30; i++ {
		entity := fmt.Sprintf("user/%d", i)
		if i%3 == 0 {
			entity = fmt.Sprintf("order/%d", i)
		}
		r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(entity), Kind: kind, Payload: []byte(entity)})
		require.NoError(t, err)
		if i%3 == 0 {
			want = append(want, r.EventID)
		}
	}
	got := orders.take(t, len(want))
	for i, ev := range got {
		require.Equal(t, want[i], ev.ID)
		require.Equal(t, ev.Coordinate.Entity, string(ev.Payload), "payloads travel with notifications")
	}
	everything := all.take(t, 30)
	for i := 1; i < len(everything); i++ {
		require.Greater(t, everything[i].Sequence, everything[i-1].Sequence)
	}
	require.Empty(t, orders.out, "nothing else arrives")
}

// A subscriber that never reads does not slow the writer; once it reads
// again it has seen every event exactly once, in order.
func TestSlowSubscriberMissesNothingAndBlocksNobody(t *testing.T) {
	f := spawn(t, Config{})
	gate := make(chan struct{})
	slow := follow(t, f.store, storage.Filter{}, 8, gate)
	const n = 300
	var want []uint64
	for i := 0; i < n; i++ {
		r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprintf("e%d", i%7)), Kind: kind})
		require.NoError(t, err, "the writer never waits for the subscriber")
		want = append(want, r.Sequence)
	}
	require.Positive(t, f.store.Gaps(), "the slow subscriber's queue overflowed")
	close(gate)
	got := slow.take(t, n)
	for i, ev := range got {
		require.Equal(t, want[i], ev.Sequence)
	}
	select {
	case ev := <-slow.out:
		t.Fatalf("event %d delivered twice", ev.Sequence)
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, f.sys.Root.StopFuture(slow.pid).Wait()) // then the cursor is ours to read
	require.Positive(t, slow.cursor.CaughtUp, "events came from the log after the gap")
	require.Positive(t, slow.cursor.Gaps)
}

func TestStoppedSubscribersAreRemoved(t *testing.T) {
	f := spawn(t, Config{})
	r := follow(t, f.store, storage.Filter{}, 0, nil)
	require.Equal(t, int64(1), f.store.sh.subscribers.Load())
	require.NoError(t, f.sys.Root.StopFuture(r.pid).Wait())
	require.Eventually(t, func() bool { return f.store.sh.subscribers.Load() == 0 }, 5*time.Second, time.Millisecond)
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.NoError(t, err)
}

func TestSubscribersAreToldWhenTheWriterStops(t *testing.T) {
	f := spawn(t, Config{})
	r := follow(t, f.store, storage.Filter{}, 0, nil)
	for i := 0; i < 2; i++ {
		f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "boom"})
	}
	select {
	case m := <-r.ended:
		require.ErrorIs(t, m.Err, messages.ErrWriterStopped)
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber was not told")
	}
}

func TestSubscribersAreToldOnClose(t *testing.T) {
	f := spawn(t, Config{})
	r := follow(t, f.store, storage.Filter{}, 0, nil)
	require.NoError(t, f.store.Close(ctx(t)))
	select {
	case m := <-r.ended:
		require.ErrorIs(t, m.Err, messages.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber was not told")
	}
}
