package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/remoting"
	"github.com/batpak-go/batpak/storage"
)

// The cluster demo's store: six partitions, two on each of three members.
var (
	memberNames   = []string{"node-a", "node-b", "node-c"}
	clusterOwners = []string{"node-a", "node-b", "node-c", "node-a", "node-b", "node-c"}
)

// clusterName is the protoactor cluster the members join.
const clusterName = "batpak-demo"

// trio runs the cluster demo's members in one process: each has its own
// actor system, loopback remote and cluster provider, and every provider
// registers with one shared in-memory agent (protoactor's test provider),
// which plays the part consul or etcd play between machines.
type trio struct {
	agent   *test.InMemAgent
	root    string                       // -dir/cluster: member m's data in root/m
	members map[string]*partition.Member // the running members, by name
}

func newTrio(root string) *trio {
	return &trio{agent: test.NewInMemAgent(), root: root, members: map[string]*partition.Member{}}
}

// startAll starts the members at once (protoactor's StartMember waits a
// second for the cluster to settle: one second for all, not one each).
func (t *trio) startAll(names ...string) error {
	ms := make([]*partition.Member, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { ms[i], errs[i] = t.open(name) })
	}
	wg.Wait()
	for i, m := range ms {
		if m != nil {
			t.members[names[i]] = m
		}
	}
	return errors.Join(errs...)
}

// start starts (or restarts) the member name on its directory.
func (t *trio) start(name string) (*partition.Member, error) {
	m, err := t.open(name)
	if err != nil {
		return nil, err
	}
	t.members[name] = m
	return m, nil
}

// open starts the member name on its directory.
func (t *trio) open(name string) (*partition.Member, error) {
	rc, err := remoting.Config{}.RemoteConfig() // 127.0.0.1, a free port, plaintext
	if err != nil {
		return nil, err
	}
	m, err := partition.Start(partition.Config{
		ClusterName:    clusterName,
		Provider:       test.NewTestProvider(t.agent),
		Remote:         rc,
		Name:           name,
		Owners:         clusterOwners,
		Dir:            filepath.Join(t.root, name),
		Create:         true, // the demo starts from an empty directory; a restart finds its partitions
		Store:          actors.Config{Storage: storage.Options{SegmentSize: 64 << 10}},
		System:         quietSystem(),
		RequestTimeout: 10 * time.Second,
		ClusterOptions: []cluster.ConfigOption{noGossip},
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return m, nil
}

// stop closes the member name: it leaves the cluster, its partitions'
// stores are closed.
func (t *trio) stop(ctx context.Context, name string) error {
	m := t.members[name]
	delete(t.members, name)
	if err := m.Close(ctx); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// close stops every running member.
func (t *trio) close(ctx context.Context) error {
	var errs []error
	for _, name := range memberNames {
		if t.members[name] != nil {
			errs = append(errs, t.stop(ctx, name))
		}
	}
	return errors.Join(errs...)
}

// waitAvailable waits until every running member sees every partition of
// the named owners available (the provider tells each member of the others
// as they join).
func (t *trio) waitAvailable(ctx context.Context, owners ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if t.allSee(owners) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the members do not all see the partitions of %v: %w", owners, ctx.Err())
		case <-tick.C:
		}
	}
}

// allSee reports whether every running member sees the partitions of the
// named owners available.
func (t *trio) allSee(owners []string) bool {
	for _, m := range t.members {
		for k := range m.Partitions() {
			for _, o := range owners {
				if m.Owner(k) == o && !m.Available(k) {
					return false
				}
			}
		}
	}
	return true
}

// noGossip puts off protoactor's gossip rounds past the demo's end. The
// members learn of each other from the provider, not from gossip, and
// in this protoactor version every member of a process shuffles its gossip
// targets with one package-level rand.Rand, unsynchronised (see
// partition/README.md, "Testing and protoactor's races").
func noGossip(c *cluster.Config) { c.GossipInterval = time.Hour }

// quietSystem is a member's actor system, whose protoactor log lines are
// dropped: when a member stops, the others' remotes log "EndpointWriter
// lost connection" errors (and retry) for what the demo does on purpose,
// and its output would drown in them. The demo reports every failure it
// meets itself.
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actors.SystemLogger(slog.New(slog.DiscardHandler)))
}
