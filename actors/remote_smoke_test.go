package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// TestRemoteAppendSmoke appends from a second actor system over protoactor
// remote on loopback and reads the receipt. The store runs in a child
// process (see remote_subscribe_node_test.go: one remote per process).
func TestRemoteAppendSmoke(t *testing.T) {
	a := startStoreNode(t)
	res, err := sharedNodeB().Root.RequestFuture(a.pid(a.info.Writer), &messages.Append{Coordinate: coord("a"), Kind: kind, Payload: []byte("x")}, 5*time.Second).Result()
	require.NoError(t, err)
	rep, ok := res.(*messages.AppendReply)
	require.True(t, ok, "%T", res)
	require.NoError(t, rep.Err())
	require.Equal(t, uint64(1), rep.Receipt.Version)
}
