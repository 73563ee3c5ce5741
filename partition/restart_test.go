package partition_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

// TestOwnerStopAndRestart stops one owner (a graceful close) while the
// client appends: its partitions answer ErrPartitionUnavailable at once
// (no request timeout), the others keep working, and scatter reads refuse
// rather than answer in part. The owner restarts on the same directory (at
// a new address: placement follows the name): every receipt acknowledged
// before the stop is readable, its hash chains verify, and appends resume.
func TestOwnerStopAndRestart(t *testing.T) {
	root := t.TempDir()
	ps := trio(t, root)
	c := client(t)

	// Ten events on each of three entities per partition.
	acked := map[string][]messages.Receipt{}
	for k := range owners {
		for _, e := range entitiesIn(k, 3, "keep/") {
			for i := range 10 {
				acked[e] = append(acked[e], appendTo(t, e, fmt.Sprint(i)))
			}
		}
	}

	// Stop b while appending to one of its partitions; every append acked
	// meanwhile must survive too.
	bp := []int{1, 4} // b's partitions
	e1 := entityIn(1, "keep/")
	oldAddr := ps["b"].addr
	start := time.Now()
	ps["b"].signalStop()
	var (
		err  error
		last *messages.Append
	)
	for {
		var r messages.Receipt
		last = &messages.Append{Coordinate: coord(e1), Kind: kind, Payload: []byte("during"), IdempotencyKey: messages.NewID()}
		r, err = c.Append(ctx(t), last)
		if err != nil {
			break
		}
		acked[e1] = append(acked[e1], r)
		require.Less(t, time.Since(start), 10*time.Second, "b still takes appends")
	}
	took := time.Since(start)
	t.Logf("from the stop signal to ErrPartitionUnavailable: %v", took)
	require.ErrorIs(t, err, partition.ErrPartitionUnavailable)
	var ue *partition.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, 1, ue.Partition)
	require.Equal(t, "b", ue.Owner)
	require.Less(t, took, 5*time.Second, "not a request timeout")
	// An append caught in flight may or may not have been written: it is
	// retried, with its idempotency key, once b is back.
	inFlight := errors.Is(err, messages.ErrOutcomeUnknown)
	ps["b"].waitStopped()
	require.Eventually(t, func() bool { return !c.Available(1) && !c.Available(4) }, 10*time.Second, time.Millisecond)

	// Answered at once, without a request.
	for _, k := range bp {
		at := time.Now()
		_, err := c.Append(ctx(t), &messages.Append{Coordinate: coord(entityIn(k, "keep/")), Kind: kind})
		require.ErrorIs(t, err, partition.ErrPartitionUnavailable)
		require.ErrorAs(t, err, &ue)
		require.Equal(t, k, ue.Partition)
		require.Less(t, time.Since(at), 5*time.Second)
		_, err = c.Stream(ctx(t), coord(entityIn(k, "keep/")), 1)
		require.ErrorIs(t, err, partition.ErrPartitionUnavailable)
	}
	// The other partitions keep working, from every member left.
	for _, k := range []int{0, 2, 3, 5} {
		e := entityIn(k, "keep/")
		acked[e] = append(acked[e], appendTo(t, e, "while b is down"))
		r := ask(t, ps["a"], &messages.Append{Coordinate: coord(e), Kind: kind, Payload: []byte("from a")}).(*messages.AppendReply)
		require.NoError(t, r.Err())
		acked[e] = append(acked[e], r.Receipt)
	}
	// ... and a routes b's partitions to the same answer.
	r := ask(t, ps["a"], &messages.Append{Coordinate: coord(e1), Kind: kind}).(*messages.AppendReply)
	require.ErrorContains(t, r.Err(), "unavailable")

	// A scatter read refuses, naming every unavailable partition.
	_, err = c.Query(ctx(t), partition.Filter{EntityPrefix: "keep/"})
	require.ErrorIs(t, err, partition.ErrPartitionUnavailable)
	var down []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		require.ErrorAs(t, e, &ue)
		down = append(down, ue.Partition)
	}
	require.Equal(t, bp, down)
	_, err = c.ByCorrelation(ctx(t), messages.NewID())
	require.ErrorIs(t, err, partition.ErrPartitionUnavailable)

	// b comes back on its directory, at another address.
	ps["b"] = mustStart(t, "b", filepath.Join(root, "b"))
	require.NotEqual(t, oldAddr, ps["b"].addr)
	waitAvailable(t, c, "b")
	if inFlight {
		r, err := c.Append(ctx(t), last)
		require.NoError(t, err)
		t.Logf("the append in flight when b left was written: %v", r.Replayed)
		acked[e1] = append(acked[e1], r)
	}
	for e, rs := range acked {
		evs, err := c.Stream(ctx(t), coord(e), 1)
		require.NoError(t, err)
		checkChain(t, evs)
		require.Len(t, evs, len(rs), e)
		for i, r := range rs {
			require.Equal(t, r.EventID, evs[i].ID, "%s v%d", e, i+1)
			require.Equal(t, r.Hash, evs[i].Hash)
		}
	}
	// Appends resume where the streams left off.
	for _, k := range bp {
		e := entityIn(k, "keep/")
		got := appendTo(t, e, "after")
		require.Equal(t, uint64(len(acked[e])+1), got.Version)
	}
	all, err := c.Query(ctx(t), partition.Filter{EntityPrefix: "keep/"})
	require.NoError(t, err)
	n := 0
	for _, rs := range acked {
		n += len(rs)
	}
	require.Len(t, all, n+len(bp))

	for _, name := range []string{"a", "b", "c"} {
		ps[name].stop()
	}
	verifyAll(t, root)
}

// TestRestartWithAnotherPartitionCountIsRefused: a member restarted with
// another number of partitions than its directories were created with
// refuses to start, with a typed error, before it joins the cluster.
func TestRestartWithAnotherPartitionCountIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	mustStart(t, "a", dir).stop()

	// In a child process, as an operator would restart it.
	_, startErr := startChild(t, childConfig{Name: "a", Dir: dir, Owners: []string{"a", "b", "c", "a"}})
	require.Contains(t, startErr, "created for 6 partitions, configured with 4")

	// In this process, to look at the error's type; it never joins the
	// cluster (no member file appears).
	before, err := os.ReadDir(registry)
	require.NoError(t, err)
	_, err = partition.Start(partition.Config{ClusterName: clusterName, Provider: newFileProvider(registry), Name: "a",
		Owners: []string{"a", "b", "c", "a"}, Dir: dir, Create: true, System: quietSystem()})
	require.ErrorIs(t, err, partition.ErrPartitionCount)
	var me *partition.MetadataError
	require.ErrorAs(t, err, &me)
	require.Equal(t, 6, me.Got.Partitions)
	require.Equal(t, 4, me.Want.Partitions)
	require.Equal(t, filepath.Join(dir, "p-0"), me.Dir)
	after, err := os.ReadDir(registry)
	require.NoError(t, err)
	require.Equal(t, len(before), len(after))

	// The same count starts again.
	mustStart(t, "a", dir).stop()
}

// TestMemberNameTaken: a second live member with an owner's name refuses
// to start; the first keeps its partitions.
func TestMemberNameTaken(t *testing.T) {
	root := t.TempDir()
	a := mustStart(t, "a", filepath.Join(root, "a"))
	c := client(t)
	waitAvailable(t, c, "a")
	_, startErr := startChild(t, childConfig{Name: "a", Dir: filepath.Join(root, "a2")})
	require.Contains(t, startErr, partition.ErrMemberNameTaken.Error())
	require.Contains(t, startErr, a.addr)
	waitAvailable(t, c, "a")
	e := entityIn(0, "taken/")
	r := appendTo(t, e, "x")
	a.stop()
	ev, err := readOnly(t, root, 0).Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, e, ev.Coordinate.Entity)
}

// TestMisconfiguredOwnersNeverWriteToTheWrongPartition: a member that
// owns a partition under another configuration (here 4 partitions, where
// the client has 6) refuses what is not its own: a partition it does not
// have is a dead letter (ErrPartitionUnavailable), an entity of another of
// its partitions is refused (ErrInvalidArgument), and nothing is written.
func TestMisconfiguredOwnersNeverWriteToTheWrongPartition(t *testing.T) {
	root := t.TempDir()
	a := mustStart(t, "a", filepath.Join(root, "a")) // a owns 0 and 3 of 6
	a.stop()
	p, startErr := startChild(t, childConfig{Name: "a", Dir: filepath.Join(root, "other"), Owners: []string{"a", "b", "c", "d"}})
	require.Empty(t, startErr)
	c := client(t)
	waitAvailable(t, c, "a")

	// Partition 3 of 6 is a's for the client; a (of 4) owns only 0.
	_, err := c.Append(ctx(t), &messages.Append{Coordinate: coord(entityIn(3, "mis/")), Kind: kind})
	require.ErrorIs(t, err, partition.ErrPartitionUnavailable)
	var ue *partition.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, 3, ue.Partition)

	// An entity of partition 0 of 6 that is not in partition 0 of 4.
	var e string
	for i := 0; ; i++ {
		if e = fmt.Sprint("mis/", i); partition.PartitionOf(e, 6) == 0 && partition.PartitionOf(e, 4) != 0 {
			break
		}
	}
	_, err = c.Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	require.ErrorContains(t, err, "this request was routed with other Owners")
	require.False(t, errors.Is(err, partition.ErrPartitionUnavailable))
	p.stop()
	evs, err := readOnlyDir(t, filepath.Join(root, "other", "p-0", "store")).Query(storage.Filter{})
	require.NoError(t, err)
	require.Empty(t, evs)
}

// TestMovePartition follows the README's procedure to move partition 1
// from b to a: stop b, copy the partition directory (its store with
// storage.Backup, what `batpak backup` runs, and its partition.json), give
// partition 1 to a in the configuration and restart a. The moved
// partition's events are all there and it takes appends on a; a member
// still on the old configuration gets ErrPartitionUnavailable for it, never
// a write elsewhere.
func TestMovePartition(t *testing.T) {
	root := t.TempDir()
	aDir, bDir := filepath.Join(root, "a"), filepath.Join(root, "b")
	a, b := mustStart(t, "a", aDir), mustStart(t, "b", bDir)
	c := client(t)
	waitAvailable(t, c, "a", "b")
	e := entityIn(1, "move/")
	var acked []messages.Receipt
	for i := range 5 {
		acked = append(acked, appendTo(t, e, fmt.Sprint(i)))
	}
	b.stop()
	a.stop()

	// Copy b's partition 1 to a's directory.
	from, to := filepath.Join(bDir, "p-1"), filepath.Join(aDir, "p-1")
	_, err := storage.Backup(filepath.Join(from, "store"), filepath.Join(to, "store"), storage.BackupOptions{Verify: true})
	require.NoError(t, err)
	meta, err := os.ReadFile(filepath.Join(from, "partition.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(to, "partition.json"), meta, 0o600))

	moved := append([]string(nil), owners...)
	moved[1] = "a"
	a, startErr := startChild(t, childConfig{Name: "a", Dir: aDir, Owners: moved})
	require.Empty(t, startErr)
	waitAvailable(t, c, "a")

	// Through a member with the new configuration (a itself).
	r := ask(t, a, &messages.ReadStream{Coordinate: coord(e)}).(*messages.ReadReply)
	require.NoError(t, r.Err())
	require.Len(t, r.Events, len(acked))
	for i, rc := range acked {
		require.Equal(t, rc.EventID, r.Events[i].ID)
	}
	checkChain(t, r.Events)
	ar := ask(t, a, &messages.Append{Coordinate: coord(e), Kind: kind, Expected: messages.Exactly(5)}).(*messages.AppendReply)
	require.NoError(t, ar.Err())
	require.Equal(t, uint64(6), ar.Receipt.Version)

	// The client still has the old configuration: partition 1 is b's, and
	// b is gone.
	_, err = c.Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind})
	require.ErrorIs(t, err, partition.ErrPartitionUnavailable)

	a.stop()
	evs, err := readOnlyDir(t, filepath.Join(to, "store")).Query(storage.Filter{})
	require.NoError(t, err)
	require.Len(t, evs, 6)
	rep, err := readOnlyDir(t, filepath.Join(to, "store")).Verify()
	require.NoError(t, err)
	require.Equal(t, 6, rep.Events)
}
