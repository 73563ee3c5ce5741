package actors

import (
	"sync"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// Commands racing through the writer: each appends two events to one
// stream and one to its own, on the condition that the shared stream is
// still at the version they all read. The writer decides them one after
// the other (deferring those whose conflict only the winner's unpublished
// group causes, until it lands), so exactly one wins; every other gets a
// version conflict naming item 0 and the winner's committed version, and
// wrote nothing, not even on its own stream.
func TestConditionalBatchesRaceThroughTheWriter(t *testing.T) {
	f := spawn(t, Config{})
	shared := coord("account/1")
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: shared, Kind: kind})
	require.NoError(t, err)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
				{Coordinate: shared, Kind: kind, Expected: messages.Exactly(1)},
				{Coordinate: shared, Kind: kind},
				{Coordinate: coord("audit/" + string(rune('a'+i))), Kind: kind, Expected: messages.NoStream()},
			}})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, messages.ErrVersionConflict)
		var be *storage.BatchError
		require.ErrorAs(t, err, &be)
		require.Equal(t, 0, be.Item)
		var vc *storage.VersionConflictError
		require.ErrorAs(t, err, &vc)
		require.Equal(t, uint64(3), vc.Actual, "the winner's version, never an undecided one")
	}
	require.Equal(t, 1, won)
	evs, err := f.store.Stream(shared, 1)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	all, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)
	require.Len(t, all, 4, "the losers wrote nothing on their own streams either")
}
