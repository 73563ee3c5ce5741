package remoting_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
)

// clientCall runs a remoting.Client call on the child against a's store.
func clientCall(t *testing.T, b *child, a *storeNode, method string, msg remote.RootSerializable, timeout time.Duration) result {
	t.Helper()
	typ, body := wire(t, msg)
	return b.do(t, command{Op: "client", Method: method, Addr: a.sys.Address(), Store: a.name, Type: typ, Body: body,
		TimeoutMS: int(timeout / time.Millisecond)})
}

// A Client on node B appends, appends a batch and reads with the same
// results and typed errors as the Store's methods.
func TestClient(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	r := clientCall(t, b, a, "append", &messages.Append{Coordinate: coord("c"), Kind: kind, Payload: []byte("1")}, wait)
	require.Empty(t, r.Err)
	require.Equal(t, uint64(1), r.reply(t).(*messages.AppendReply).Receipt.Version)

	r = clientCall(t, b, a, "append", &messages.Append{Coordinate: coord("c"), Kind: kind, Expected: messages.NoStream()}, wait)
	err := r.reply(t).(*messages.ErrorReply).Err()
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	var vc *messages.VersionConflictError
	require.ErrorAs(t, err, &vc)
	require.Equal(t, uint64(1), vc.Actual)

	r = clientCall(t, b, a, "batch", &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("c"), Kind: kind}, {Coordinate: coord("d"), Kind: kind}}}, wait)
	require.Empty(t, r.Err)
	rs := r.reply(t).(*messages.AppendBatchReply).Receipts
	require.Len(t, rs, 2)
	require.Equal(t, uint64(2), rs[0].Version)

	r = clientCall(t, b, a, "stream", &messages.ReadStream{Coordinate: coord("c")}, wait)
	require.Empty(t, r.Err)
	page := r.reply(t).(*messages.ReadReply)
	require.Len(t, page.Events, 2)
	require.True(t, page.End)

	r = clientCall(t, b, a, "query", &messages.ReadQuery{EntityPrefix: "d"}, wait)
	require.Empty(t, r.Err)
	require.Len(t, r.reply(t).(*messages.ReadReply).Events, 1)

	r = clientCall(t, b, a, "query", &messages.ReadQuery{Limit: -1}, wait)
	require.ErrorIs(t, r.reply(t).(*messages.ErrorReply).Err(), messages.ErrInvalidArgument)
}

// A Client request to a store name that does not run on the node, or to
// a node nothing listens at, fails with ErrUnreachable (protoactor's dead
// letter), not a timeout.
func TestClientUnreachable(t *testing.T) {
	t.Parallel()
	a := storeOnA(t, actors.Config{})
	b := spawnChild(t, childConfig{MaxRetry: 1}) // one connection attempt, then protoactor's 2 s pause
	typ, body := wire(t, &messages.Append{Coordinate: coord("u"), Kind: kind})
	r := b.do(t, command{Op: "client", Method: "append", Addr: a.sys.Address(), Store: "no-such-store", Type: typ, Body: body})
	require.True(t, r.Unreachable, "%+v", r)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	r = b.do(t, command{Op: "client", Method: "append", Addr: dead, Store: "batpak", Type: typ, Body: body})
	require.True(t, r.Unreachable, "%+v", r)
	require.Equal(t, 0, a.events(t))
}

// A Client request not answered within its context's deadline fails with
// an error matching context.DeadlineExceeded (here: the writer is held).
func TestClientDeadline(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	release := actorstest.HoldWriter(a.store)
	r := clientCall(t, b, a, "append", &messages.Append{Coordinate: coord("slow"), Kind: kind}, 200*time.Millisecond)
	release()
	require.True(t, r.Deadline, "%+v", r)
	require.False(t, r.Unreachable)
}

// A Client refuses nil requests and a context already done, without
// sending anything.
func TestClientRefusesBadCalls(t *testing.T) {
	c := remoting.NewClient(newSystem(t), "127.0.0.1:1", "")
	require.Equal(t, "127.0.0.1:1", c.Writer().Address)
	require.Equal(t, "batpak/writer", c.Writer().Id)
	require.Equal(t, "batpak/reader", c.Reader().Id)
	_, err := c.Append(context.Background(), nil)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, err = c.AppendBatch(context.Background(), nil)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, err = c.ReadStream(context.Background(), nil)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, err = c.ReadQuery(context.Background(), nil)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Append(done, &messages.Append{Coordinate: coord("x"), Kind: kind})
	require.ErrorIs(t, err, context.Canceled)
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	_, err = c.Append(past, &messages.Append{Coordinate: coord("x"), Kind: kind})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// Once protoactor has given a peer up, a later message to it connects
// anew: a node that comes (back) up at the address is reached.
func TestReconnectWhenThePeerComesUp(t *testing.T) {
	t.Parallel()
	b := spawnChild(t, childConfig{MaxRetry: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close()) // nothing listens there now
	addr := ln.Addr().String()
	typ, body := wire(t, appendReq("back"))
	r := b.do(t, command{Op: "client", Method: "append", Addr: addr, Type: typ, Body: body})
	require.True(t, r.Unreachable, "%+v", r)

	c := spawnChild(t, childConfig{Port: port, Store: "batpak", Dir: t.TempDir()})
	require.Equal(t, addr, c.Addr)
	r = b.do(t, command{Op: "client", Method: "append", Addr: addr, Type: typ, Body: body})
	require.Empty(t, r.Err)
	require.Equal(t, 1, c.do(t, command{Op: "count"}).Count)
}
