package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// TestCrashedAppendsNeverComeBack: with the Once budget already spent, the
// writer crashes with a group written and synced but not published (in
// flight) and another open. Their callers are told ErrWriterCrashed; the
// image taken right after the replies (a process killed then, the page
// cache kept) must hold none of their events, and neither must the store
// reopened later. Before the fix nothing was cut once the budget was spent,
// and the "crashed" events came back.
func TestCrashedAppendsNeverComeBack(t *testing.T) {
	mem := fs.NewMem()
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: mem}, Policy: supervision.Once(), MaxGroupEvents: 2})
	require.NoError(t, err)
	kept, err := s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("kept")})
	require.NoError(t, err)
	sys.Root.Send(s.Writer(), &faults.Panic{Reason: "first crash: spends Once"})

	release := make(chan struct{})
	sys.Root.Send(s.Writer(), &faults.Block{Release: release})
	var futures []*actor.Future
	for i := range 3 { // 2 fill a group that is written at once; the third opens the next
		a := &messages.Append{Coordinate: coord(fmt.Sprintf("c%d", i)), Kind: kind, Payload: []byte("crashed")}
		futures = append(futures, sys.Root.RequestFuture(s.Writer(), a, 10*time.Second))
	}
	sys.Root.Send(s.Writer(), &faults.Panic{Reason: "second crash: budget spent"})
	close(release)
	for _, f := range futures {
		res, err := f.Result()
		require.NoError(t, err)
		require.ErrorIs(t, res.(*messages.AppendReply).Err(), messages.ErrWriterCrashed)
	}
	img := mem.Clone() // every write that reached the page cache
	e, err := storage.Open("/data", storage.Options{FS: img})
	require.NoError(t, err)
	require.Equal(t, 1, e.Stats().Events, "only the acknowledged event")
	_, err = e.Get(kept.EventID)
	require.NoError(t, err)
	require.NoError(t, e.Close())
}
