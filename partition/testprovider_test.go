//go:build !race

// Several protoactor remotes in one process are a data race inside
// protoactor (remote.Start writes gRPC's global logger, gossip shares one
// rand.Rand, BlockList reads its set unlocked): this test runs without
// -race (go test -run TestProtoactorTestProvider ./partition); the
// child-process tests cover the same behaviour under -race.

package partition_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

// tpCluster is three members a, b and c of the test store (owners: six
// partitions) in this process, each its own actor system and loopback
// remote, on protoactor's in-memory test provider (one agent shared by
// all: it tells every member of every (de)registration, synchronously).
type tpCluster struct {
	t     *testing.T
	agent *test.InMemAgent
	root  string
	mu    sync.Mutex
	m     map[string]*partition.Member
}

func newTPCluster(t *testing.T) *tpCluster {
	tc := &tpCluster{t: t, agent: test.NewInMemAgent(), root: t.TempDir(), m: map[string]*partition.Member{}}
	t.Cleanup(func() {
		for _, m := range tc.m {
			_ = m.Close(context.Background())
		}
	})
	return tc
}

// start starts the named members at once (protoactor's StartMember waits
// 1 s), each on its own Dir under the cluster's root, and waits until
// every running member sees every running member's partitions available.
func (tc *tpCluster) start(names ...string) {
	tc.t.Helper()
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			m, err := partition.Start(partition.Config{ClusterName: "batpak-testprovider", Provider: test.NewTestProvider(tc.agent),
				Remote: remote.Configure("127.0.0.1", 0), Name: name, Owners: owners, Dir: filepath.Join(tc.root, name), Create: true, System: quietSystem(), RequestTimeout: 20 * time.Second,
				Store: actors.Config{Storage: storage.Options{SegmentSize: 64 << 10, Preallocate: -1}}})
			errs[i] = err
			if err == nil {
				tc.mu.Lock()
				tc.m[name] = m
				tc.mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.NoError(tc.t, errors.Join(errs...))
	live := make([]string, 0, len(tc.m))
	for name := range tc.m {
		live = append(live, name)
	}
	for _, m := range tc.m {
		waitAvailable(tc.t, m, live...)
	}
}

// stop closes the named member.
func (tc *tpCluster) stop(name string) *partition.Member {
	tc.t.Helper()
	m := tc.m[name]
	require.NoError(tc.t, m.Close(context.Background()))
	delete(tc.m, name)
	return m
}

// TestProtoactorTestProvider runs the partitioned store on protoactor's
// own test provider, three members in one process: appends from every
// member land in their partition and read back from every member; a
// stopped member's partitions answer ErrPartitionUnavailable (not a
// request timeout) while the others keep working; restarted on its
// directory, its data is intact and appends resume.
func TestProtoactorTestProvider(t *testing.T) {
	tc := newTPCluster(t)
	names := []string{"a", "b", "c"}
	tc.start(names...)

	// Two entities per partition per member, each appended to twice.
	type appended struct {
		from string
		k    int
		rs   []messages.Receipt
	}
	got := map[string]*appended{} // entity -> what was appended
	for _, from := range names {
		for k := range owners {
			for _, e := range entitiesIn(k, 2, fmt.Sprintf("tp-%s/", from)) {
				ap := &appended{from: from, k: k}
				for v := range 2 {
					r, err := tc.m[from].Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind, Payload: []byte(fmt.Sprint(e, "#", v+1))})
					require.NoError(t, err, "append %s from %s", e, from)
					require.Equal(t, uint64(v+1), r.Version)
					ap.rs = append(ap.rs, r)
				}
				got[e] = ap
			}
		}
	}

	t.Run("appends from every member land in their partition", func(t *testing.T) {
		for e, ap := range got {
			for k, owner := range owners {
				ev, err := tc.m[owner].LocalStore(k).Get(ap.rs[0].EventID)
				if k != ap.k {
					require.ErrorIs(t, err, messages.ErrNotFound, "%s (partition %d) found in partition %d", e, ap.k, k)
					continue
				}
				require.NoError(t, err, "%s from %s in partition %d", e, ap.from, k)
				require.Equal(t, e, ev.Coordinate.Entity)
			}
		}
		for k, owner := range owners {
			rep, err := tc.m[owner].LocalStore(k).Verify()
			require.NoError(t, err)
			require.Equal(t, 3*2*2, rep.Events, "partition %d: 3 members × 2 entities × 2 events", k)
		}
	})

	t.Run("every member reads every entity back", func(t *testing.T) {
		for _, reader := range names {
			for e, ap := range got {
				evs, err := tc.m[reader].Stream(ctx(t), coord(e), 1)
				require.NoError(t, err)
				require.Equal(t, []messages.ID{ap.rs[0].EventID, ap.rs[1].EventID}, ids(evs), "%s read by %s", e, reader)
				require.Equal(t, ap.rs[1].Hash, evs[1].Hash)
				require.Equal(t, e+"#2", string(evs[1].Payload))
			}
			all, err := tc.m[reader].Query(ctx(t), partition.Filter{EntityPrefix: "tp-"})
			require.NoError(t, err)
			require.Len(t, all, 2*len(got), "scatter query from %s", reader)
		}
	})

	// The partitions c owns.
	var ofC, others []int
	for k, o := range owners {
		if o == "c" {
			ofC = append(ofC, k)
		} else {
			others = append(others, k)
		}
	}

	t.Run("a stopped member's partitions are unavailable, the others work", func(t *testing.T) {
		closed := tc.stop("c")
		for _, from := range []string{"a", "b"} {
			m := tc.m[from]
			require.Eventually(t, func() bool { return !m.Available(ofC[0]) && !m.Available(ofC[1]) }, 10*time.Second, time.Millisecond)
			for _, k := range ofC {
				// A deadline far away: the answer must not be a timeout.
				_, err := m.Append(ctx(t), &messages.Append{Coordinate: coord(entityIn(k, "tp-down/")), Kind: kind})
				require.ErrorIs(t, err, partition.ErrPartitionUnavailable, "partition %d from %s", k, from)
				require.NotErrorIs(t, err, context.DeadlineExceeded)
				var ue *partition.UnavailableError
				require.ErrorAs(t, err, &ue)
				require.Equal(t, k, ue.Partition)
				require.Equal(t, "c", ue.Owner)
				_, err = m.Stream(ctx(t), coord(entityIn(k, "tp-a/")), 1)
				require.ErrorIs(t, err, partition.ErrPartitionUnavailable, "a read of partition %d from %s", k, from)
			}
			for _, k := range others {
				e := entityIn(k, "tp-up-"+from+"/")
				r, err := m.Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind})
				require.NoError(t, err, "partition %d from %s while c is down", k, from)
				ev, err := tc.m[owners[k]].LocalStore(k).Get(r.EventID)
				require.NoError(t, err)
				require.Equal(t, e, ev.Coordinate.Entity)
			}
			_, err := m.Query(ctx(t), partition.Filter{EntityPrefix: "tp-"})
			require.ErrorIs(t, err, partition.ErrPartitionUnavailable, "a scatter read returns no partial answer")
		}
		_, err := closed.Append(ctx(t), &messages.Append{Coordinate: coord("tp-x"), Kind: kind})
		require.ErrorIs(t, err, messages.ErrClosed)
	})

	t.Run("restarted on its directory, its data is intact and appends resume", func(t *testing.T) {
		tc.start("c")
		for _, reader := range names {
			for e, ap := range got {
				evs, err := tc.m[reader].Stream(ctx(t), coord(e), 1)
				require.NoError(t, err, "%s read by %s", e, reader)
				require.Equal(t, []messages.ID{ap.rs[0].EventID, ap.rs[1].EventID}, ids(evs), "%s read by %s", e, reader)
				require.Equal(t, ap.rs[1].Hash, evs[1].Hash)
			}
		}
		for _, from := range names {
			for e, ap := range got {
				if owners[ap.k] != "c" {
					continue
				}
				r, err := tc.m[from].Append(ctx(t), &messages.Append{Coordinate: coord(e), Kind: kind, Expected: messages.Exactly(uint64(len(ap.rs)))})
				require.NoError(t, err, "append %s from %s after c's restart", e, from)
				require.Equal(t, uint64(len(ap.rs)+1), r.Version)
				ap.rs = append(ap.rs, r)
			}
		}
		for _, k := range ofC {
			rep, err := tc.m["c"].LocalStore(k).Verify()
			require.NoError(t, err)
			require.Equal(t, 3*2*2+3*2*3, rep.Events, "partition %d: 12 events before the stop, 18 appended after", k)
		}
		for e, ap := range got {
			evs, err := tc.m["a"].Stream(ctx(t), coord(e), 1)
			require.NoError(t, err)
			require.Equal(t, len(ap.rs), len(evs), "%s", e)
			checkChain(t, evs)
		}
	})
}
