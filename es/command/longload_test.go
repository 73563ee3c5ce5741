package command_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// longStream spans several of the storage reader's batches and many of
// CatchUp's context checks.
const longStream = 3000

// TestLongLoadEqualsReplay: loading an entity of thousands of events gives
// the state of folding every event, at the last event's version and hash;
// catching up from the middle gives the same.
func TestLongLoadEqualsReplay(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	fill(t, s, d.Registry, 0, longStream)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	st, err := h.Load(ctxT(t), acct)
	require.NoError(t, err)
	require.Equal(t, replayAll(t, s, d.Registry, acct), st.Value)
	require.Equal(t, uint64(longStream), st.Version)
	last, err := s.Stream(acct, longStream)
	require.NoError(t, err)
	require.Equal(t, last[0].Hash, st.Hash)

	// Catching up from the middle applies the rest once.
	mid := command.State[Account]{Coordinate: acct, Version: 700}
	for _, ev := range must(s.Stream(acct, 1))[:700] {
		v, err := typed.Decode(d.Registry, ev)
		require.NoError(t, err)
		mid.Value = evolve(mid.Value, v)
	}
	require.NoError(t, h.CatchUp(ctxT(t), &mid))
	require.Equal(t, st, mid)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLongLoadStopsAtTheFirstBadEvent: an event that does not decode, or
// whose Evolve panics, deep in a long stream fails the catch-up with its
// typed error, naming its version, and the state at the event before it.
func TestLongLoadStopsAtTheFirstBadEvent(t *testing.T) {
	const bad = 2001
	for _, tc := range []struct {
		name string
		bad  bool // store an undecodable payload at version bad
		want error
	}{
		{"payload that does not decode", true, typed.ErrPayload},
		{"evolve that panics", false, command.ErrEvolve},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spawnStore(t)
			d := decider(t)
			fill(t, s, d.Registry, 0, bad-1)
			if tc.bad {
				_, err := s.Append(ctxT(t), &messages.Append{Coordinate: acct, Kind: messages.MustKind(2, 2), Payload: []byte("{}")})
				require.NoError(t, err)
			} else {
				fill(t, s, d.Registry, bad-1, 1)
				evolve := d.Evolve
				d.Evolve = func(a Account, ev any) Account {
					if a.Events == bad-1 {
						panic(fmt.Sprintf("event %d", bad))
					}
					return evolve(a, ev)
				}
			}
			fill(t, s, d.Registry, bad, 1000)
			h, err := command.New(s, d, command.Options{})
			require.NoError(t, err)
			st := command.State[Account]{Coordinate: acct}
			err = h.CatchUp(ctxT(t), &st)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), fmt.Sprintf("version %d", bad))
			require.Equal(t, uint64(bad-1), st.Version)
			require.Equal(t, bad-1, st.Value.Events)
			prev, err := s.Stream(acct, bad-1)
			require.NoError(t, err)
			require.Equal(t, prev[0].Hash, st.Hash)
		})
	}
}

// TestLongLoadStopsWhenCanceled: a context canceled during a long
// catch-up ends it with the context's error within a few hundred events,
// the state at the last event it applied.
func TestLongLoadStopsWhenCanceled(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	fill(t, s, d.Registry, 0, longStream)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	evolve := d.Evolve
	d.Evolve = func(a Account, ev any) Account {
		if a.Events == 1000 {
			cancel()
		}
		return evolve(a, ev)
	}
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	st := command.State[Account]{Coordinate: acct}
	err = h.CatchUp(ctx, &st)
	require.ErrorIs(t, err, context.Canceled)
	require.GreaterOrEqual(t, st.Version, uint64(1001))
	require.Less(t, st.Version, uint64(1001+256))
	require.Equal(t, int(st.Version), st.Value.Events)
}
