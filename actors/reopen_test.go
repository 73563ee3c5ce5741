package actors

import (
	"context"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// A restarted writer takes the crashed engine's index over (no recovery
// from the files): the same events, appends going on after them, and the
// restart's engine reports it.
func TestRestartReusesTheIndex(t *testing.T) {
	cfg := smallSegments()
	cfg.Policy = supervision.Bounded(3, time.Minute)
	f := spawn(t, cfg)
	fillLog(t, f.store, 60)
	before, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)

	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "reuse test"})
	require.Eventually(t, func() bool { return f.store.Restarts() == 1 }, 10*time.Second, time.Millisecond)
	st, err := f.store.Stats()
	require.NoError(t, err)
	require.True(t, st.Recovery.ReusedIndex, "%+v", st.Recovery)
	require.Equal(t, len(before), st.Recovery.Events)

	after, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)
	require.Equal(t, before, after)
	r, err := f.store.Append(context.Background(), &messages.Append{Coordinate: before[0].Coordinate, Kind: before[0].Kind})
	require.NoError(t, err)
	require.Equal(t, before[len(before)-1].Sequence+1, r.Sequence)
	_, err = f.store.Verify()
	require.NoError(t, err)
}
