package remoting_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
)

// The writer on node A crashes while node B's append is in its group:
// node B gets ErrWriterCrashed (nothing written), the writer restarts, and
// node B's retry with the same idempotency key is written once.
func TestRemoteSenderSeesWriterCrash(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	actorstest.CrashWriterEvery(a.store, 1, 1) // the next append crashes the writer
	req := &messages.Append{Coordinate: coord("crash"), Kind: kind, Payload: []byte("x"), IdempotencyKey: messages.NewID()}
	err := b.appendTo(t, a, req).Err()
	require.ErrorIs(t, err, messages.ErrWriterCrashed)
	require.Equal(t, 0, a.events(t))

	r := b.appendTo(t, a, req)
	require.NoError(t, r.Err())
	require.Equal(t, uint64(1), r.Receipt.Version)
	require.False(t, r.Receipt.Replayed, "the crashed request wrote nothing")
	require.Equal(t, 1, a.store.Restarts())
	require.Equal(t, 1, a.events(t))
}

// When the restart budget is spent, node B's crashed request gets
// ErrWriterCrashed and every later one ErrWriterStopped, at once (not a
// timeout), as a local sender would.
func TestRemoteSenderSeesWriterStopped(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{}) // Policy: Once
	actorstest.CrashWriterEvery(a.store, 1, 2)
	for range 2 {
		err := b.appendTo(t, a, &messages.Append{Coordinate: coord("stop"), Kind: kind}).Err()
		require.ErrorIs(t, err, messages.ErrWriterCrashed)
	}
	err := b.appendTo(t, a, &messages.Append{Coordinate: coord("stop"), Kind: kind}).Err()
	require.ErrorIs(t, err, messages.ErrWriterStopped)
	require.Equal(t, 0, a.events(t))
}

// A full writer queue answers node B's append with ErrOverloaded at once,
// through an actor's request and through a Client (which does not wait
// for room as actors.Store.Append does); nothing of it is written.
func TestRemoteOverloaded(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{MaxQueuedEvents: 1}), spawnChild(t, childConfig{})
	release := actorstest.HoldWriter(a.store)
	a.sys.Root.Send(a.store.Writer(), appendReq("queued")) // fills the queue behind the hold
	err := b.appendTo(t, a, appendReq("over")).Err()
	require.ErrorIs(t, err, messages.ErrOverloaded)
	typ, body := wire(t, appendReq("over"))
	r := b.do(t, command{Op: "client", Method: "append", Addr: a.sys.Address(), Store: a.name, Type: typ, Body: body})
	require.ErrorIs(t, r.reply(t).(*messages.ErrorReply).Err(), messages.ErrOverloaded)
	release()
	require.NoError(t, b.appendTo(t, a, appendReq("after")).Err())
	require.Equal(t, 2, a.events(t), "the queued append and the last one")
}
