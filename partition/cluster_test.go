package partition_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

// TestCluster runs a three-owner cluster (a, b, c, each in its own
// process, six partitions) and a client member (the test process), and
// checks the client API from every member.
func TestCluster(t *testing.T) {
	root := t.TempDir()
	ps := trio(t, root)
	c := client(t)
	members := []string{"client", "a", "b", "c"}

	// appendFrom appends through the named member.
	appendFrom := func(t *testing.T, from string, a *messages.Append) (messages.Receipt, error) {
		if from == "client" {
			return c.Append(ctx(t), a)
		}
		r := ask(t, ps[from], a).(*messages.AppendReply)
		return r.Receipt, r.Err()
	}
	// streamFrom reads an entity's stream through the named member.
	streamFrom := func(t *testing.T, from, e string) []messages.Event {
		if from == "client" {
			evs, err := c.Stream(ctx(t), coord(e), 1)
			require.NoError(t, err)
			return evs
		}
		r := ask(t, ps[from], &messages.ReadStream{Coordinate: coord(e)}).(*messages.ReadReply)
		require.NoError(t, r.Err())
		return r.Events
	}

	t.Run("appends from every member land in their partition and read back from every member", func(t *testing.T) {
		want := map[int][]messages.ID{} // partition -> ids appended to it
		receipts := map[string]messages.Receipt{}
		for _, from := range members {
			for i := range 12 {
				e := fmt.Sprintf("from-%s/%d", from, i)
				r, err := appendFrom(t, from, &messages.Append{Coordinate: coord(e), Kind: kind, Payload: []byte(e)})
				require.NoError(t, err, "append %s from %s", e, from)
				receipts[e] = r
				k := partition.PartitionOf(e, len(owners))
				want[k] = append(want[k], r.EventID)
			}
		}
		// Each partition's store holds exactly the events of its entities.
		for k := range owners {
			require.NotEmpty(t, want[k], "partition %d got none of the test's entities", k)
			evs, err := readOnly(t, root, k).Query(storage.Filter{EntityPrefix: "from-"})
			require.NoError(t, err)
			require.ElementsMatch(t, want[k], ids(evs), "partition %d", k)
		}
		// Every member reads every entity back.
		for _, from := range members {
			for e, r := range receipts {
				evs := streamFrom(t, from, e)
				require.Len(t, evs, 1, "%s read by %s", e, from)
				require.Equal(t, r.EventID, evs[0].ID)
				require.Equal(t, r.Hash, evs[0].Hash)
				require.Equal(t, e, string(evs[0].Payload))
			}
		}
	})

	t.Run("a batch within one partition is atomic", func(t *testing.T) {
		es := entitiesIn(4, 2, "batch/") // partition 4, on b
		rs, err := c.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: coord(es[0]), Kind: kind, Expected: messages.NoStream()},
			{Coordinate: coord(es[1]), Kind: kind, Expected: messages.NoStream(), Causation: messages.CausedByItem(0)},
			{Coordinate: coord(es[0]), Kind: kind},
		}})
		require.NoError(t, err)
		require.Len(t, rs, 3)
		require.Equal(t, []uint64{1, 1, 2}, []uint64{rs[0].Version, rs[1].Version, rs[2].Version})
		require.Equal(t, rs[0].Sequence+1, rs[1].Sequence)

		// All or nothing: the second item's conflict refuses the first.
		_, err = c.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: coord(es[0]), Kind: kind},
			{Coordinate: coord(es[1]), Kind: kind, Expected: messages.Exactly(7)},
		}})
		require.ErrorIs(t, err, messages.ErrVersionConflict)
		var be *messages.BatchError
		require.ErrorAs(t, err, &be)
		require.Equal(t, 1, be.Item)
		require.Len(t, streamFrom(t, "client", es[0]), 2)
		require.Len(t, streamFrom(t, "client", es[1]), 1)

		// From another member too.
		r := ask(t, ps["c"], &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: coord(es[0]), Kind: kind, Expected: messages.Exactly(2)},
			{Coordinate: coord(es[1]), Kind: kind, Expected: messages.Exactly(1)},
		}}).(*messages.AppendBatchReply)
		require.NoError(t, r.Err())
		require.Len(t, r.Receipts, 2)
	})

	t.Run("a cross-partition batch is refused and writes nothing", func(t *testing.T) {
		e0, e1 := entityIn(0, "cross/"), entityIn(5, "cross/")
		_, err := c.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: coord(e1), Kind: kind}, {Coordinate: coord(e0), Kind: kind}, {Coordinate: coord(e1), Kind: kind}}})
		require.ErrorIs(t, err, partition.ErrCrossPartitionBatch)
		require.ErrorIs(t, err, messages.ErrInvalidBatch)
		var ce *partition.CrossPartitionError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, []int{0, 5}, ce.Partitions)
		require.Equal(t, []int{5, 0, 5}, ce.Items)
		require.Empty(t, streamFrom(t, "client", e0))
		require.Empty(t, streamFrom(t, "client", e1))
	})

	t.Run("version conflicts and idempotent retries keep their types", func(t *testing.T) {
		e := entityIn(2, "cas/") // on c
		_, err := c.Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind, Expected: messages.NoStream()})
		require.NoError(t, err)
		_, err = c.Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind, Expected: messages.NoStream()})
		require.ErrorIs(t, err, messages.ErrVersionConflict)
		var vc *messages.VersionConflictError
		require.ErrorAs(t, err, &vc)
		require.Equal(t, uint64(1), vc.Actual)

		key := messages.NewID()
		a := &messages.Append{Coordinate: coord(e), Kind: kind, Payload: []byte("once"), IdempotencyKey: key}
		first, err := c.Append(ctx(t), a)
		require.NoError(t, err)
		retry, err := c.Append(ctx(t), a)
		require.NoError(t, err)
		require.True(t, retry.Replayed)
		require.Equal(t, first.EventID, retry.EventID)
		require.Equal(t, first.Sequence, retry.Sequence)
		// A retry from another member finds the same event.
		r := ask(t, ps["a"], a).(*messages.AppendReply)
		require.NoError(t, r.Err())
		require.Equal(t, first.EventID, r.Receipt.EventID)
		require.Len(t, streamFrom(t, "client", e), 2)

		_, err = c.Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind, Payload: []byte("other"), IdempotencyKey: key})
		require.ErrorIs(t, err, messages.ErrIdempotencyConflict)
	})

	t.Run("scatter reads gather every partition in the documented order", func(t *testing.T) {
		corr := messages.NewID()
		var appended []messages.ID
		var prev messages.ID
		for i := range 18 {
			e := fmt.Sprintf("saga/%d", i)
			a := &messages.Append{Coordinate: coord(e), Kind: kind, CorrelationID: corr, CausationID: prev}
			r, err := appendFrom(t, members[i%len(members)], a)
			require.NoError(t, err)
			appended = append(appended, r.EventID)
			prev = r.EventID // the cause is in another partition: just an id
		}
		seen := map[int]bool{}
		for i := range 18 {
			seen[partition.PartitionOf(fmt.Sprintf("saga/%d", i), len(owners))] = true
		}
		require.Len(t, seen, len(owners), "the saga spans every partition")

		check := func(evs []messages.Event) {
			t.Helper()
			// The appends were made one after another, on one machine's
			// clock: the merge by TimestampUS gives them back in that order.
			require.Equal(t, appended, ids(evs))
			last := map[int]uint64{}
			for i, ev := range evs {
				k := partition.PartitionOf(ev.Coordinate.Entity, len(owners))
				if s, ok := last[k]; ok {
					require.Greater(t, ev.Sequence, s, "partition %d's events keep their order", k)
				}
				last[k] = ev.Sequence
				if i > 0 {
					require.Equal(t, evs[i-1].ID, ev.CausationID)
					require.LessOrEqual(t, evs[i-1].TimestampUS, ev.TimestampUS)
				}
			}
		}
		evs, err := c.ByCorrelation(ctx(t), corr)
		require.NoError(t, err)
		check(evs)
		evs, err = c.Query(ctx(t), partition.Filter{EntityPrefix: "saga/", Kinds: []messages.EventKind{kind}})
		require.NoError(t, err)
		check(evs)
		for _, from := range []string{"a", "b", "c"} {
			r := ask(t, ps[from], &messages.ReadCorrelation{ID: corr}).(*messages.ReadReply)
			require.NoError(t, r.Err())
			check(r.Events)
			r = ask(t, ps[from], &messages.ReadQuery{EntityPrefix: "saga/"}).(*messages.ReadReply)
			require.NoError(t, r.Err())
			check(r.Events)
		}

		// One partition, paged by its own sequences.
		k := partition.PartitionOf("saga/0", len(owners))
		page, err := c.QueryPartition(ctx(t), k, &messages.ReadQuery{EntityPrefix: "saga/", Limit: 1})
		require.NoError(t, err)
		require.Len(t, page.Events, 1)
		require.Equal(t, appended[0], page.Events[0].ID)
		require.False(t, page.End)
	})

	t.Run("the cluster resolves a partition to its owner's front", func(t *testing.T) {
		for _, p := range ps {
			require.True(t, strings.HasPrefix(p.addr, "127.0.0.1:"), "the default remote listens on loopback: %s", p.addr)
		}
		for k := range owners {
			pid := c.Cluster().Get(partition.Identity(k), partition.Kind)
			require.NotNil(t, pid)
			require.Equal(t, ps[owners[k]].addr, pid.Address)
			require.Equal(t, fmt.Sprintf("batpak-partition-%d", k), pid.Id)
		}
	})

	t.Run("bad requests are refused with the store's errors", func(t *testing.T) {
		_, err := c.Append(ctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: "x"}, Kind: kind})
		require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
		_, err = c.Append(ctx(t), nil)
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		_, err = c.ByCorrelation(ctx(t), messages.ID{})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		_, err = c.QueryPartition(ctx(t), len(owners), &messages.ReadQuery{})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		rs, err := c.AppendBatch(ctx(t), &messages.AppendBatch{})
		require.NoError(t, err)
		require.Empty(t, rs)
	})

	for _, name := range []string{"a", "b", "c"} {
		ps[name].stop()
	}
	require.Greater(t, verifyAll(t, root), 48)
}
