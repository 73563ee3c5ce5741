package actors

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// cursorCases run every redelivery test twice: with every event matching,
// and with an entity prefix that only every other event matches, so the
// sequences a subscriber sees are sparse.
var cursorCases = []struct {
	name   string
	filter storage.Filter
}{
	{"all events", storage.Filter{}},
	{"entity prefix", storage.Filter{EntityPrefix: "order/"}},
}

// appendMixed appends n events one at a time, alternately to order/ and
// user/ entities, and returns the sequences of those that match filter.
func appendMixed(t *testing.T, s *Store, filter storage.Filter, n int) []uint64 {
	t.Helper()
	var want []uint64
	for i := 0; i < n; i++ {
		entity := fmt.Sprintf("order/%d", i)
		if i%2 == 1 {
			entity = fmt.Sprintf("user/%d", i)
		}
		r, err := s.Append(ctx(t), &messages.Append{Coordinate: coord(entity), Kind: kind, Payload: []byte(fmt.Sprint(i))})
		require.NoError(t, err)
		if strings.HasPrefix(entity, filter.EntityPrefix) {
			want = append(want, r.Sequence)
		}
	}
	return want
}

func seqs(evs []messages.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Sequence
	}
	return out
}

// Events 0–6 reach the Cursor in two notifications, and delivering the
// third fails once: the next notification first redelivers it and what
// followed it in the failed notification, then goes on, so the handler sees
// every event exactly once, in order (the base delivered 0 1 5 6).
func TestCursorRedeliversAfterAnError(t *testing.T) {
	for _, tc := range cursorCases {
		t.Run(tc.name, func(t *testing.T) {
			f := spawn(t, Config{})
			from, err := f.store.Stats()
			require.NoError(t, err)
			want := appendMixed(t, f.store, tc.filter, 14)
			require.Len(t, want, map[bool]int{true: 14, false: 7}[tc.filter.EntityPrefix == ""])
			f2 := tc.filter
			f2.FromSeq = from.NextSequence
			evs, err := f.store.Query(f2)
			require.NoError(t, err)
			require.Len(t, evs, len(want))

			c := f.store.NewCursor(tc.filter)
			var got []messages.Event
			failed := false
			deliver := func(ev messages.Event) error {
				if ev.Sequence == want[2] && !failed {
					failed = true
					return errors.New("handler failed")
				}
				got = append(got, ev)
				return nil
			}
			_, err = c.Handle(&messages.Subscribed{From: from.NextSequence}, deliver)
			require.NoError(t, err)
			_, err = c.Handle(&messages.Notification{Events: evs[:5]}, deliver)
			require.Error(t, err)
			require.True(t, c.Behind())
			require.Equal(t, want[:2], seqs(got))
			handled, err := c.Handle(&messages.Notification{Events: evs[5:]}, deliver)
			require.True(t, handled)
			require.NoError(t, err)
			require.False(t, c.Behind())
			require.Equal(t, want, seqs(got), "every event once, in order")
			require.Equal(t, len(want)-2, c.CaughtUp, "read from the log: the failed event and all after it")
		})
	}
}

// A failure on the last event of the last notification is redelivered by
// Retry, and by an actor's Started (the new instance after a panic).
func TestCursorRetryAndStarted(t *testing.T) {
	f := spawn(t, Config{})
	want := appendMixed(t, f.store, storage.Filter{}, 3)
	evs, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)
	for _, trigger := range []func(c *Cursor, d func(messages.Event) error) error{
		func(c *Cursor, d func(messages.Event) error) error { return c.Retry(d) },
		func(c *Cursor, d func(messages.Event) error) error {
			handled, err := c.Handle(&actor.Started{}, d)
			require.False(t, handled, "Started stays the actor's own")
			return err
		},
	} {
		c := f.store.NewCursor(storage.Filter{})
		var got []uint64
		fail := true
		deliver := func(ev messages.Event) error {
			if ev.Sequence == want[2] && fail {
				fail = false
				return errors.New("handler failed")
			}
			got = append(got, ev.Sequence)
			return nil
		}
		_, err = c.Handle(&messages.Subscribed{From: evs[0].Sequence}, deliver)
		require.NoError(t, err)
		_, err = c.Handle(&messages.Notification{Events: evs}, deliver)
		require.Error(t, err)
		require.NoError(t, trigger(c, deliver))
		require.Equal(t, want, got)
		require.False(t, c.Behind())
		require.NoError(t, c.Retry(deliver), "nothing to do once caught up")
		require.Equal(t, want, got)
	}
}

// A subscriber spawned with Store.Subscribe panics while it handles one
// event: after its restart it gets that event and every later one exactly
// once, in order (the base lost the event the actor panicked on).
func TestSubscriberPanicRedelivers(t *testing.T) {
	for _, tc := range cursorCases {
		t.Run(tc.name, func(t *testing.T) {
			f := spawn(t, Config{})
			// The store makes the ids, so the subscriber panics on its third
			// event by count.
			out := make(chan uint64, 100)
			cur := f.store.NewCursor(tc.filter)
			var done bool
			counter := &countingPanic{}
			_, _, err := f.store.Subscribe(actor.PropsFromProducer(func() actor.Actor {
				return &countPanicky{cursor: cur, out: out, at: 3, state: counter, done: &done}
			}), tc.filter, 0)
			require.NoError(t, err)
			want := appendMixed(t, f.store, tc.filter, 14)
			var got []uint64
			for len(got) < len(want) {
				select {
				case id := <-out:
					got = append(got, id)
				case <-time.After(10 * time.Second):
					t.Fatalf("got %d of %d events: %v", len(got), len(want), got)
				}
			}
			require.True(t, done, "the subscriber panicked")
			// Nothing more comes: one sentinel event, and it is next.
			sentinel := appendMixed(t, f.store, storage.Filter{EntityPrefix: "order/"}, 1)
			select {
			case id := <-out:
				require.Equal(t, sentinel[0], id, "no duplicate before the next event")
			case <-time.After(10 * time.Second):
				t.Fatal("the sentinel did not arrive")
			}
			require.Equal(t, want, got, "every event once, in order")
		})
	}
}

// countingPanic counts the events a countPanicky delivered, across its
// instances.
type countingPanic struct{ n int }

// countPanicky is a subscriber actor that delivers through a Cursor shared
// by its instances and panics once, on its at-th event (counting from 1):
// protoactor restarts it and drops the message it failed on; the new
// instance catches up on Started.
type countPanicky struct {
	cursor *Cursor
	out    chan<- uint64
	at     int
	state  *countingPanic
	done   *bool
}

func (p *countPanicky) Receive(ctx actor.Context) {
	if _, err := p.cursor.Handle(ctx.Message(), func(ev messages.Event) error {
		if p.state.n+1 == p.at && !*p.done {
			*p.done = true
			panic("subscriber bug")
		}
		p.state.n++
		p.out <- ev.Sequence
		return nil
	}); err != nil {
		panic(err)
	}
}

// A panic in deliver goes on propagating (protoactor restarts the actor),
// and leaves the Cursor behind at the event, to be delivered again.
func TestCursorPanicInDeliverMarksBehind(t *testing.T) {
	f := spawn(t, Config{})
	want := appendMixed(t, f.store, storage.Filter{}, 4)
	evs, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)
	c := f.store.NewCursor(storage.Filter{})
	var got []uint64
	deliver := func(ev messages.Event) error { got = append(got, ev.Sequence); return nil }
	_, err = c.Handle(&messages.Subscribed{From: evs[0].Sequence}, deliver)
	require.NoError(t, err)
	require.PanicsWithValue(t, "handler bug", func() {
		_, _ = c.Handle(&messages.Notification{Events: evs[:3]}, func(ev messages.Event) error {
			if ev.Sequence == want[1] {
				panic("handler bug")
			}
			return deliver(ev)
		})
	})
	require.True(t, c.Behind())
	require.Equal(t, want[1], c.Next(), "stays at the event it panicked on")
	_, err = c.Handle(&messages.Notification{Events: evs[3:]}, deliver)
	require.NoError(t, err)
	require.Equal(t, want, got)
}
