package snapshot_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// TestLivesBesideTheEventStore puts the snapshot directory inside the
// engine's data directory, as documented: the engine opens, recovers and
// reopens with it there, its events intact, and the snapshots survive.
func TestLivesBesideTheEventStore(t *testing.T) {
	storeDir := t.TempDir()
	e, err := storage.Open(storeDir, storage.Options{})
	require.NoError(t, err)
	r, err := e.Append(&messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1), Payload: []byte("placed")})
	require.NoError(t, err)
	require.NoError(t, e.Commit())

	s := open(t, filepath.Join(storeDir, "snapshots"), snapshot.Options{})
	sn := snap(1)
	sn.EventHash = r.Hash
	require.NoError(t, s.Save(sn))
	require.NoError(t, e.Close())

	e, err = storage.Open(storeDir, storage.Options{}) // while the snapshot store is open
	require.NoError(t, err)
	evs, err := e.Stream(order, 1)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, r.Hash, evs[0].Hash)
	_, err = e.Append(&messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1)})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	require.NoError(t, e.Close())

	got, ok := latest(t, s, order, orderType)
	require.True(t, ok)
	require.Equal(t, sn, got)
	require.Zero(t, s.Stats().Foreign)
}
