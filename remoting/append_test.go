package remoting_test

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
	"github.com/batpak-go/batpak/storage"
)

// An append from node B gets the durable receipt node A's store gives,
// the same as a local read of the event shows.
func TestRemoteAppendGetsItsReceipt(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	r := b.appendTo(t, a, &messages.Append{Coordinate: coord("r"), Kind: kind, Payload: []byte("x")})
	require.NoError(t, r.Err())
	require.Equal(t, uint64(1), r.Receipt.Version)
	ev, err := a.store.Get(r.Receipt.EventID)
	require.NoError(t, err)
	require.Equal(t, r.Receipt.Sequence, ev.Sequence)
	require.Equal(t, r.Receipt.Hash, ev.Hash)
	require.Equal(t, []byte("x"), ev.Payload)
}

// An actor appends to a store on another node by the writer's remote PID
// (the store here runs in the child) and receives the reply in its
// Receive.
func TestActorAppendsToAStoreOnAnotherNode(t *testing.T) {
	t.Parallel()
	sys := sharedNode(t)
	b := spawnChild(t, childConfig{Store: "far", Dir: t.TempDir()})
	w := remoting.WriterPID(b.Addr, "far")
	replies := make(chan *messages.AppendReply, 1)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Request(w, &messages.Append{Coordinate: coord("actor"), Kind: kind})
		case *messages.AppendReply:
			replies <- m
		}
	}))
	t.Cleanup(func() { sys.Root.Stop(pid) })
	r := <-replies
	require.NoError(t, r.Err())
	require.Equal(t, uint64(1), r.Receipt.Version)
	require.Equal(t, 1, b.do(t, command{Op: "count"}).Count)
}

// A version conflict crosses with its detail: errors.Is finds the
// sentinel and errors.As the *VersionConflictError with the actual
// version; nothing is written.
func TestRemoteVersionConflict(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	require.NoError(t, b.appendTo(t, a, &messages.Append{Coordinate: coord("vc"), Kind: kind}).Err())
	err := b.appendTo(t, a, &messages.Append{Coordinate: coord("vc"), Kind: kind, Expected: messages.Exactly(5)}).Err()
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	var vc *messages.VersionConflictError
	require.ErrorAs(t, err, &vc)
	require.Equal(t, uint64(1), vc.Actual)
	err = b.appendTo(t, a, &messages.Append{Coordinate: coord("vc"), Kind: kind, Expected: messages.NoStream()}).Err()
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	require.Equal(t, 1, a.events(t))
}

// A retry with the same idempotency key and the same request gets the
// first receipt and writes nothing; the key reused for another request is
// refused with ErrIdempotencyConflict and its detail.
func TestRemoteIdempotentRetry(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	key := messages.NewID()
	req := &messages.Append{Coordinate: coord("idem"), Kind: kind, Payload: []byte("p"), IdempotencyKey: key}
	first := b.appendTo(t, a, req)
	require.NoError(t, first.Err())
	again := b.appendTo(t, a, req)
	require.NoError(t, again.Err())
	require.True(t, again.Receipt.Replayed)
	again.Receipt.Replayed = false
	require.Equal(t, first.Receipt, again.Receipt)
	require.Equal(t, 1, a.events(t))

	other := *req
	other.Payload = []byte("other")
	err := b.appendTo(t, a, &other).Err()
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict)
	var ic *messages.IdempotencyConflictError
	require.ErrorAs(t, err, &ic)
	require.Equal(t, key, ic.Key)
	require.Equal(t, first.Receipt.EventID, ic.EventID)
	require.Equal(t, 1, a.events(t))
}

// A batch from node B gets its receipts in order; a batch with a bad item
// is refused whole, with the item and its cause's detail.
func TestRemoteAppendBatch(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	res := b.ask(t, a.writer(), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("b1"), Kind: kind}, {Coordinate: coord("b2"), Kind: kind}, {Coordinate: coord("b1"), Kind: kind}}})
	r, ok := res.(*messages.AppendBatchReply)
	require.True(t, ok, "%T", res)
	require.NoError(t, r.Err())
	require.Len(t, r.Receipts, 3)
	require.Equal(t, []uint64{1, 1, 2}, []uint64{r.Receipts[0].Version, r.Receipts[1].Version, r.Receipts[2].Version})
	require.Equal(t, []uint64{0, 1, 2}, []uint64{r.Receipts[0].Sequence, r.Receipts[1].Sequence, r.Receipts[2].Sequence})

	res = b.ask(t, a.writer(), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("b3"), Kind: kind}, {Coordinate: messages.Coordinate{Entity: "b4"}, Kind: kind}}})
	err := res.(*messages.AppendBatchReply).Err()
	var be *messages.BatchError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 1, be.Item)
	require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
	var ce *messages.CoordinateError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 3, a.events(t))
}

// An invalid coordinate is refused with ErrInvalidCoordinate and its
// *CoordinateError detail.
func TestRemoteInvalidCoordinate(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	err := b.appendTo(t, a, &messages.Append{Coordinate: messages.Coordinate{Entity: "no-scope"}, Kind: kind}).Err()
	require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
	var ce *messages.CoordinateError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "scope", ce.Field)
	require.Equal(t, 0, a.events(t))
}

// A policy gate's denial crosses with the gate's name, code and message.
func TestRemoteGateDenial(t *testing.T) {
	t.Parallel()
	short := storage.Gate{Name: "short", Check: func(p *storage.Proposal) *messages.Denial {
		for _, ev := range p.Events {
			if len(ev.Payload) > 3 {
				return storage.Deny("too_long", "payload of %d bytes", len(ev.Payload))
			}
		}
		return nil
	}}
	a := storeOnA(t, actors.Config{Storage: storage.Options{Gates: storage.GateSet{Gates: []storage.Gate{short}}}})
	b := spawnChild(t, childConfig{})
	err := b.appendTo(t, a, &messages.Append{Coordinate: coord("g"), Kind: kind, Payload: []byte("long")}).Err()
	require.ErrorIs(t, err, messages.ErrDenied)
	var de *messages.DenialError
	require.ErrorAs(t, err, &de)
	require.Len(t, de.Denials, 1)
	require.Equal(t, messages.Denial{Gate: "short", Code: "too_long", Message: "payload of 4 bytes"}, de.Denials[0])
	require.Equal(t, 0, a.events(t))
}
