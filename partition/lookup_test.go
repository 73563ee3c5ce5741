package partition

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
)

func member(id, host string, port int32, kinds ...string) *cluster.Member {
	return &cluster.Member{Id: id, Host: host, Port: port, Kinds: kinds}
}

func pidOf(l *lookup, k int) *actor.PID {
	return l.Get(cluster.NewClusterIdentity(Identity(k), Kind))
}

// TestLookupIsPinned: partition k resolves to the front of the live member
// named Owners[k], at its current address, or to nothing: never to another
// member.
func TestLookupIsPinned(t *testing.T) {
	l := newLookup([]string{"a", "b", "a"}, nil)
	require.Nil(t, pidOf(l, 0), "no topology yet")

	l.observe([]*cluster.Member{
		member("1", "10.0.0.1", 7001, memberKind("a"), "other-kind"),
		member("2", "10.0.0.2", 7002, memberKind("b")),
		member("3", "10.0.0.3", 7003), // a client: no name
	})
	require.Equal(t, actor.NewPID("10.0.0.1:7001", "batpak-partition-0"), pidOf(l, 0))
	require.Equal(t, actor.NewPID("10.0.0.2:7002", "batpak-partition-1"), pidOf(l, 1))
	require.Equal(t, actor.NewPID("10.0.0.1:7001", "batpak-partition-2"), pidOf(l, 2))
	require.Nil(t, pidOf(l, 3), "out of range")
	require.Nil(t, l.Get(cluster.NewClusterIdentity("p-01", Kind)))

	// b leaves: partition 1 resolves to nothing, although members are
	// live (rendezvous placement would pick one of them).
	l.observe([]*cluster.Member{member("1", "10.0.0.1", 7001, memberKind("a")), member("3", "10.0.0.3", 7003)})
	require.Nil(t, pidOf(l, 1))
	_, reason := l.resolve(1)
	require.Contains(t, reason, `no live member of the cluster is named "b"`)

	// b comes back elsewhere: partition 1 follows its name.
	l.observe([]*cluster.Member{member("1", "10.0.0.1", 7001, memberKind("a")), member("4", "10.0.0.9", 7100, memberKind("b"))})
	require.Equal(t, actor.NewPID("10.0.0.9:7100", "batpak-partition-1"), pidOf(l, 1))

	// Two members claim "a": its partitions resolve to neither.
	l.observe([]*cluster.Member{member("1", "10.0.0.1", 7001, memberKind("a")), member("5", "10.0.0.5", 7005, memberKind("a"))})
	require.Nil(t, pidOf(l, 0))
	require.Nil(t, pidOf(l, 2))
	_, reason = l.resolve(0)
	require.Contains(t, reason, `2 live members claim the name "a"`)
	require.Len(t, l.claimants("a"), 2)

	// A member's name tag is never an actor.
	require.Nil(t, l.Get(cluster.NewClusterIdentity("x", memberKind("a"))))
}

func TestLookupChangesCloseOnTopology(t *testing.T) {
	l := newLookup([]string{"a"}, nil)
	ch := l.changes()
	select {
	case <-ch:
		t.Fatal("closed before a topology")
	default:
	}
	l.observe(nil)
	<-ch
	require.NotEqual(t, ch, l.changes())
}

// fakeLookup records what it is asked.
type fakeLookup struct {
	gets, removes, setups, shutdowns int
}

func (f *fakeLookup) Get(*cluster.ClusterIdentity) *actor.PID {
	f.gets++
	return actor.NewPID("fallback:1", "grain")
}
func (f *fakeLookup) RemovePid(*cluster.ClusterIdentity, *actor.PID) { f.removes++ }
func (f *fakeLookup) Setup(*cluster.Cluster, []string, bool)         { f.setups++ }
func (f *fakeLookup) Shutdown()                                      { f.shutdowns++ }

// TestLookupFallbackAndTopologyEvents: other kinds go to the fallback;
// Setup follows the cluster's ClusterTopology events; Shutdown may be
// called twice (protoactor's graceful shutdown does).
func TestLookupFallbackAndTopologyEvents(t *testing.T) {
	fb := &fakeLookup{}
	l := newLookup([]string{"a"}, fb)
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	c := &cluster.Cluster{ActorSystem: sys}
	l.Setup(c, nil, false)
	require.Equal(t, 1, fb.setups)

	require.Equal(t, "grain", l.Get(cluster.NewClusterIdentity("x", "user-kind")).Id)
	l.RemovePid(cluster.NewClusterIdentity("x", "user-kind"), nil)
	l.RemovePid(cluster.NewClusterIdentity("p-0", Kind), nil)
	require.Equal(t, 1, fb.gets)
	require.Equal(t, 1, fb.removes)

	sys.EventStream.Publish(&cluster.ClusterTopology{Members: []*cluster.Member{member("1", "h", 1, memberKind("a"))}})
	require.Equal(t, "h:1", pidOf(l, 0).Address)

	l.Shutdown()
	l.Shutdown()
	require.Equal(t, 1, fb.shutdowns)
	sys.EventStream.Publish(&cluster.ClusterTopology{})
	require.NotNil(t, pidOf(l, 0), "no longer following after Shutdown")
}
