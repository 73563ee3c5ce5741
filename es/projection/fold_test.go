package projection_test

import (
	"context"
	"errors"
	"testing"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func projectionFold(t *testing.T, s *actors.Store) (tally, uint64, error) {
	return projection.Fold(tctx(t), s, deposits, newTally(), applyTally)
}

// Fold gives what folding the matching events by hand gives, and the
// position after the last one; FoldStream one entity's state and version.
func TestFoldAndFoldStream(t *testing.T) {
	s := openStore(t, t.TempDir())
	empty, next, err := projectionFold(t, s)
	require.NoError(t, err)
	require.Equal(t, 0, empty.Count)
	require.Equal(t, uint64(0), next)

	deposit(t, s, 0, 70)
	want := newTally()
	var last uint64
	evs, err := s.Query(deposits)
	require.NoError(t, err)
	for _, ev := range evs {
		want, err = applyTally(want, ev)
		require.NoError(t, err)
		last = ev.Sequence
	}
	got, next, err := projectionFold(t, s)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, last+1, next)
	require.Less(t, got.Count, 70, "the filter skipped notes and users")

	acct := messages.Coordinate{Entity: "acct/2", Scope: "bank"}
	n := 0
	_, version, err := projection.FoldStream(tctx(t), s, acct, 0, func(c int, ev messages.Event) (int, error) {
		n++
		require.Equal(t, uint64(n), ev.Version)
		return c + 1, nil
	})
	require.NoError(t, err)
	require.Equal(t, uint64(12), version) // k%5 == 2 in 0..69, less k = 12 and 47 (users)
	require.Equal(t, 12, n)
}

// A failing Apply stops the fold with an *ApplyError naming the event;
// a cancelled context stops it with the context's error.
func TestFoldErrors(t *testing.T) {
	s := openStore(t, t.TempDir())
	deposit(t, s, 0, 3000)
	bad := errors.New("bad event")
	_, _, err := projection.Fold(tctx(t), s, deposits, 0, func(n int, ev messages.Event) (int, error) {
		if n == 10 {
			return n, bad
		}
		return n + 1, nil
	})
	var ae *projection.ApplyError
	require.ErrorAs(t, err, &ae)
	require.ErrorIs(t, err, bad)
	require.NotZero(t, ae.Sequence)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = projection.Fold(ctx, s, deposits, 0, func(n int, _ messages.Event) (int, error) { return n + 1, nil })
	require.ErrorIs(t, err, context.Canceled)
}
