package partition_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

var kind = messages.MustKind(1, 1)

func coord(e string) messages.Coordinate { return messages.Coordinate{Entity: e, Scope: "test"} }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// entityIn returns the first entity prefix+"<i>" in partition k of the
// test store.
func entityIn(k int, prefix string) string {
	for i := 0; ; i++ {
		if e := fmt.Sprint(prefix, i); partition.PartitionOf(e, len(owners)) == k {
			return e
		}
	}
}

// entitiesIn returns n entities of partition k, prefix+"<i>".
func entitiesIn(k, n int, prefix string) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		if e := fmt.Sprint(prefix, i); partition.PartitionOf(e, len(owners)) == k {
			out = append(out, e)
		}
	}
	return out
}

// storeDir is the store of partition k in a trio under root.
func storeDir(root string, k int) string {
	return filepath.Join(root, owners[k], partition.Identity(k), "store")
}

// readOnly opens partition k's store read-only, beside its running owner.
func readOnly(t *testing.T, root string, k int) *storage.Engine {
	t.Helper()
	return readOnlyDir(t, storeDir(root, k))
}

// readOnlyDir opens the store in dir read-only.
func readOnlyDir(t *testing.T, dir string) *storage.Engine {
	t.Helper()
	e, err := storage.OpenReadOnly(dir, storage.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// verifyAll checks every partition's hash chains, the owners stopped.
func verifyAll(t *testing.T, root string) (events int) {
	t.Helper()
	for k := range owners {
		e := readOnly(t, root, k)
		rep, err := e.Verify()
		require.NoError(t, err, "partition %d", k)
		events += rep.Events
	}
	return events
}

// appendTo appends one event to entity e through the client.
func appendTo(t testing.TB, e string, payload string) messages.Receipt {
	t.Helper()
	r, err := client(t).Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind, Payload: []byte(payload)})
	require.NoError(t, err)
	return r
}

// ids returns the events' ids.
func ids(evs []messages.Event) []messages.ID {
	out := make([]messages.ID, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// checkChain checks that evs are one entity's stream from version 1: no
// gaps, each prev_hash the previous event's hash.
func checkChain(t *testing.T, evs []messages.Event) {
	t.Helper()
	for i, ev := range evs {
		require.Equal(t, uint64(i+1), ev.Version)
		if i == 0 {
			require.True(t, ev.PrevHash.IsZero())
		} else {
			require.Equal(t, evs[i-1].Hash, ev.PrevHash)
		}
	}
}
