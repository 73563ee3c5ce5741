package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// followFrom is follow with a cursor that starts at from.
func followFrom(t *testing.T, s *Store, filter storage.Filter, from uint64, capacity int, gate <-chan struct{}) *followerRig {
	t.Helper()
	r := &followerRig{out: make(chan messages.Event, 100_000), ended: make(chan *messages.SubscriptionEnded, 1),
		cursor: s.NewCursorFrom(filter, from)}
	pid, _, err := s.Subscribe(actor.PropsFromProducer(func() actor.Actor {
		return &follower{cursor: r.cursor, out: r.out, ended: r.ended, gate: gate}
	}), filter, capacity)
	require.NoError(t, err)
	r.pid = pid
	return r
}

// requireNothingMore fails if another event arrives within a short while
// (a check that nothing is delivered twice, not a synchronisation).
func (r *followerRig) requireNothingMore(t *testing.T) {
	t.Helper()
	select {
	case ev := <-r.out:
		t.Fatalf("event %d delivered twice", ev.Sequence)
	case <-time.After(50 * time.Millisecond):
	}
}

// A cursor made with NewCursorFrom delivers the matching events of the log
// from its position up to the subscription's start, then the live ones:
// each exactly once, in order, from any starting point (0, the middle, the
// present, past the present).
func TestCursorFromAStoredPosition(t *testing.T) {
	for _, tc := range cursorCases {
		t.Run(tc.name, func(t *testing.T) {
			f := spawn(t, Config{})
			before := appendMixed(t, f.store, tc.filter, 20)
			st, err := f.store.Stats()
			require.NoError(t, err)
			for _, from := range []uint64{0, before[len(before)/2], st.NextSequence, st.NextSequence + 3} {
				r := followFrom(t, f.store, tc.filter, from, 0, nil)
				after := appendMixed(t, f.store, tc.filter, 20)
				var want []uint64
				for _, s := range append(append([]uint64{}, before...), after...) {
					if s >= from {
						want = append(want, s)
					}
				}
				require.Equal(t, want, seqs(r.take(t, len(want))), "from %d", from)
				r.requireNothingMore(t)
				require.NoError(t, f.sys.Root.StopFuture(r.pid).Wait())
				before = append(before, after...)
			}
		})
	}
}

// Starting from 0 with a queue of 4 events and a subscriber held while 200
// events are committed: the catch-up from the log, the gap and the live
// notifications together deliver every event once, in order.
func TestCursorFromAcrossAGap(t *testing.T) {
	f := spawn(t, Config{})
	before := appendMixed(t, f.store, storage.Filter{}, 30)
	gate := make(chan struct{})
	r := followFrom(t, f.store, storage.Filter{}, 0, 4, gate)
	after := appendMixed(t, f.store, storage.Filter{}, 200)
	require.Positive(t, f.store.Gaps())
	close(gate)
	want := append(before, after...)
	require.Equal(t, want, seqs(r.take(t, len(want))))
	r.requireNothingMore(t)
	require.NoError(t, f.sys.Root.StopFuture(r.pid).Wait())
	require.Positive(t, r.cursor.Gaps)
	require.GreaterOrEqual(t, r.cursor.CaughtUp, len(before), "the log before the subscription was read")
}

// A delivery that fails during the catch-up at Subscribed is redelivered
// by the next message, and nothing is delivered twice.
func TestCursorFromRedeliversAFailedCatchUp(t *testing.T) {
	f := spawn(t, Config{})
	before := appendMixed(t, f.store, storage.Filter{}, 10)
	c := f.store.NewCursorFrom(storage.Filter{}, 2)
	var got []uint64
	failOn := before[5]
	deliver := func(ev messages.Event) error {
		if ev.Sequence == failOn {
			failOn = ^uint64(0)
			return errors.New("handler failed")
		}
		got = append(got, ev.Sequence)
		return nil
	}
	st, err := f.store.Stats()
	require.NoError(t, err)
	handled, err := c.Handle(&messages.Subscribed{From: st.NextSequence}, deliver)
	require.True(t, handled)
	require.Error(t, err)
	require.True(t, c.Behind())
	require.Equal(t, before[2:5], got)
	after := appendMixed(t, f.store, storage.Filter{}, 3)
	evs, err := f.store.Query(storage.Filter{FromSeq: after[0]})
	require.NoError(t, err)
	_, err = c.Handle(&messages.Notification{Events: evs}, deliver)
	require.NoError(t, err)
	require.Equal(t, append(before[2:], after...), got)
	require.False(t, c.Behind())
}

// CatchUp reads the log up to the present at once, so a cursor knows it
// has passed an event its filter does not match; the queued notification
// that follows is skipped.
func TestCursorCatchUp(t *testing.T) {
	f := spawn(t, Config{})
	filter := storage.Filter{EntityPrefix: "order/"}
	c := f.store.NewCursor(filter)
	_, err := c.Handle(&messages.Subscribed{From: 0}, nil)
	require.NoError(t, err)
	want := appendMixed(t, f.store, filter, 6) // order/0, user/1, ... user/5
	var got []uint64
	deliver := func(ev messages.Event) error { got = append(got, ev.Sequence); return nil }
	require.NoError(t, c.CatchUp(deliver))
	require.Equal(t, want, got)
	require.Equal(t, uint64(6), c.Next(), "past the last event, which did not match")
	evs, err := f.store.Query(storage.Filter{EntityPrefix: "order/", FromSeq: want[2]})
	require.NoError(t, err)
	_, err = c.Handle(&messages.Notification{Events: evs}, deliver)
	require.NoError(t, err)
	require.Equal(t, want, got, "nothing twice")
}
