package snapshot_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
)

// TestConcurrentSavesAndReads saves from several goroutines into the same
// series and into their own, while others read: every read returns a
// whole snapshot (never torn, never an error), and at the end each series
// holds its newest Keep versions.
func TestConcurrentSavesAndReads(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{Keep: 3})
	const writers, perWriter = 4, 25
	own := func(w int) messages.Coordinate {
		return messages.Coordinate{Entity: fmt.Sprintf("order/w%d", w), Scope: "shop"}
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				v := uint64(i*writers + w + 1) // the shared series gets every version once
				if err := s.Save(snap(v)); err != nil {
					t.Error(err)
					return
				}
				sn := snap(uint64(i + 1))
				sn.Coordinate = own(w)
				if err := s.Save(sn); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, ok, err := s.Latest(order, orderType)
				if err != nil {
					t.Error(err)
					return
				}
				if ok && !equalSnap(got, snap(got.Version)) {
					t.Errorf("torn read: %+v", got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	got, ok := latest(t, s, order, orderType)
	require.True(t, ok)
	require.Equal(t, snap(writers*perWriter), got)
	for w := range writers {
		got, ok := latest(t, s, own(w), orderType)
		require.True(t, ok)
		require.Equal(t, uint64(perWriter), got.Version)
	}
	require.Equal(t, 3*(writers+1), s.Stats().Files)
	require.Len(t, snapFiles(t, dir), 3*(writers+1))
	require.Zero(t, s.Stats().Corrupt)
}

func equalSnap(a, b snapshot.Snapshot) bool {
	return a.Coordinate == b.Coordinate && a.Type == b.Type && a.Version == b.Version &&
		a.EventHash == b.EventHash && string(a.Data) == string(b.Data) && a.WallMS == b.WallMS
}
