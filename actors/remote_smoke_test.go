package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// TestRemoteAppendSmoke appends from a second actor system over protoactor
// remote on loopback and reads the receipt.
func TestRemoteAppendSmoke(t *testing.T) {
	f := spawn(t, Config{})
	ra := remote.NewRemote(f.sys, remote.Configure("127.0.0.1", 0))
	ra.Start()
	t.Cleanup(func() { ra.Shutdown(false) })
	sysB := quietSystem()
	rb := remote.NewRemote(sysB, remote.Configure("127.0.0.1", 0))
	rb.Start()
	t.Cleanup(func() { rb.Shutdown(false); sysB.Shutdown() })

	w := actor.NewPID(f.sys.Address(), f.store.Writer().Id)
	res, err := sysB.Root.RequestFuture(w, &messages.Append{Coordinate: coord("a"), Kind: kind, Payload: []byte("x")}, 5*time.Second).Result()
	require.NoError(t, err)
	rep, ok := res.(*messages.AppendReply)
	require.True(t, ok, "%T", res)
	require.NoError(t, rep.Err())
	require.Equal(t, uint64(1), rep.Receipt.Version)
}
