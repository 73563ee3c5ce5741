package actors

import (
	"context"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func eventIDs(evs []messages.Event) []messages.ID {
	out := make([]messages.ID, len(evs))
	for i := range evs {
		out[i] = evs[i].ID
	}
	return out
}

// A chain of reactions three levels deep across entities, written through
// the writer, is walked back by Store.Ancestors and forward by
// Store.Descendants, also after a writer restart and after the store is
// closed and spawned again on its directory; an unknown id is ErrNotFound.
func TestDescendantsThroughTheStore(t *testing.T) {
	f := spawn(t, Config{})
	c := ctx(t)
	root, err := f.store.Append(c, &messages.Append{Coordinate: coord("order/1"), Kind: kind})
	require.NoError(t, err)
	l1, err := f.store.Append(c, &messages.Append{Coordinate: coord("stock/9"), Kind: kind, CausationID: root.EventID, CorrelationID: root.EventID})
	require.NoError(t, err)
	rs, err := f.store.AppendBatch(c, &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("mail/3"), Kind: kind, Causation: messages.CausedBy(l1.EventID)},
		{Coordinate: coord("noise"), Kind: kind},
		{Coordinate: coord("invoice/5"), Kind: kind, Causation: messages.CausedByItem(0)},
	}})
	require.NoError(t, err)
	l2, l3 := rs[0].EventID, rs[2].EventID
	check := func(t *testing.T, extra ...messages.ID) {
		t.Helper()
		anc, err := f.store.Ancestors(l3, 0)
		require.NoError(t, err)
		require.Equal(t, []messages.ID{l2, l1.EventID, root.EventID}, eventIDs(anc))
		got, err := f.store.Descendants(root.EventID)
		require.NoError(t, err)
		require.Equal(t, append([]messages.ID{l1.EventID, l2, l3}, extra...), eventIDs(got))
		got, err = f.store.Descendants(l2)
		require.NoError(t, err)
		require.Equal(t, append([]messages.ID{l3}, extra...), eventIDs(got))
		_, err = f.store.Descendants(messages.NewID())
		require.ErrorIs(t, err, messages.ErrNotFound)
	}
	check(t)

	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "descendants test"})
	require.Eventually(t, func() bool { return f.store.Restarts() == 1 }, 10*time.Second, time.Millisecond)
	l4, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("after/6"), Kind: kind, CausationID: l3})
	require.NoError(t, err)
	t.Run("after a writer restart", func(t *testing.T) { check(t, l4.EventID) })

	require.NoError(t, f.store.Close(context.Background()))
	s, err := Spawn(f.sys, Config{Dir: f.dir, Name: "batpak-again"})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	f.store = s
	t.Run("after close and spawn", func(t *testing.T) { check(t, l4.EventID) })
}
