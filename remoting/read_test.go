package remoting_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// seed appends n events over three entities of a's store, locally.
func seed(t *testing.T, a *storeNode, n int) {
	t.Helper()
	for i := range n {
		_, err := a.store.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprintf("e%d", i%3)), Kind: kind,
			Payload: []byte(fmt.Sprintf("payload %d", i))})
		require.NoError(t, err)
	}
}

// readAll pages a read from node B to the end: next sets the page's
// start from the previous reply's Next.
func readAll(t *testing.T, b *child, a *storeNode, first messages.ReadStream, next func(*messages.ReadStream, uint64)) []messages.Event {
	t.Helper()
	var out []messages.Event
	req := first
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "no end")
		res := b.ask(t, a.reader(), &req)
		r, ok := res.(*messages.ReadReply)
		require.True(t, ok, "%T", res)
		require.NoError(t, r.Err())
		out = append(out, r.Events...)
		if r.End {
			return out
		}
		next(&req, r.Next)
	}
}

// ReadStream from node B, paged forward and backward to the end, returns
// the events a local read returns.
func TestRemoteReadStream(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	seed(t, a, 30)
	local, err := a.store.Stream(coord("e1"), 0)
	require.NoError(t, err)
	require.Len(t, local, 10)

	fwd := readAll(t, b, a, messages.ReadStream{Coordinate: coord("e1"), Limit: 3},
		func(r *messages.ReadStream, next uint64) { r.From = next })
	require.Equal(t, local, fwd)

	back := readAll(t, b, a, messages.ReadStream{Coordinate: coord("e1"), Limit: 4, Backward: true},
		func(r *messages.ReadStream, next uint64) { r.From = next })
	require.Len(t, back, len(local))
	for i := range back {
		require.Equal(t, local[len(local)-1-i], back[i])
	}
}

// ReadQuery from node B, paged to the end, returns the events a local
// query returns; a bad request is refused with its typed error.
func TestRemoteReadQuery(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	seed(t, a, 25)
	local, err := a.store.Query(storage.Filter{EntityPrefix: "e", Scope: "test"})
	require.NoError(t, err)
	require.Len(t, local, 25)

	var got []messages.Event
	req := &messages.ReadQuery{EntityPrefix: "e", Scope: "test", Limit: 7}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "no end")
		r := b.ask(t, a.reader(), req).(*messages.ReadReply)
		require.NoError(t, r.Err())
		got = append(got, r.Events...)
		if r.End {
			break
		}
		req.FromSeq = r.Next
	}
	require.Equal(t, local, got)

	err = b.ask(t, a.reader(), &messages.ReadQuery{Limit: messages.MaxReadPage + 1}).(*messages.ReadReply).Err()
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	err = b.ask(t, a.reader(), &messages.ReadStream{Coordinate: messages.Coordinate{Entity: "x"}}).(*messages.ReadReply).Err()
	require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
	var ce *messages.CoordinateError
	require.ErrorAs(t, err, &ce)
}
