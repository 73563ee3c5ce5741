//go:build !race

// Several protoactor remotes in one process are a data race inside
// protoactor and gRPC (remote.Start writes gRPC's global logger, gossip
// shares one rand.Rand, BlockList reads its set unlocked), so the cluster
// benchmarks and their checks build without -race only.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

// benchCluster is one partitioned store (partition.Member) on a
// protoactor cluster whose members all run in this process: each member
// its own actor system with a loopback remote, on protoactor's in-memory
// test provider (one agent per cluster). Member i is named "n<i+1>" and
// owns the partitions k with k mod members = i; its partitions live in
// root/n<i+1>. Each partition is a store with actors' defaults: durable
// commits (an fdatasync per commit group), segments preallocated.
type benchCluster struct {
	name   string
	root   string
	owners []string
	agent  *test.InMemAgent
	// wire counts the bytes the cluster's members send and receive over
	// their remote connections.
	wire *wireCounter
	// meter is every partition store's meter provider.
	meter *groupMeter

	mu      sync.Mutex
	members []*partition.Member // nil while stopped
}

// startCluster starts a cluster of n members holding a store of the given
// number of partitions, and waits until every member sees every partition.
func startCluster(name string, n, partitions int, root string) (*benchCluster, error) {
	c := &benchCluster{name: name, root: root, agent: test.NewInMemAgent(), wire: &wireCounter{}, meter: newGroupMeter(),
		members: make([]*partition.Member, n)}
	for k := range partitions {
		c.owners = append(c.owners, memberName(k%n))
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n { // protoactor's StartMember waits 1 s: start them at once
		wg.Go(func() { errs[i] = c.start(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	if err := c.waitAvailable(); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

func memberName(i int) string { return fmt.Sprintf("n%d", i+1) }

// start starts member i on its directory (again, after stop: same name,
// same directory, a new actor system and remote).
func (c *benchCluster) start(i int) error {
	rc := remote.Configure("127.0.0.1", 0, remote.WithDialOptions(
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(c.wire.dial)))
	m, err := partition.Start(partition.Config{ClusterName: c.name, Provider: test.NewTestProvider(c.agent), Remote: rc,
		Name: memberName(i), Owners: c.owners, Dir: filepath.Join(c.root, memberName(i)), Create: true, System: silentSystem(),
		RequestTimeout: remoteTimeout, Store: clusterStoreConfig(actors.Config{MeterProvider: c.meter.mp})})
	if err != nil {
		return fmt.Errorf("%s: start %s: %w", c.name, memberName(i), err)
	}
	c.mu.Lock()
	c.members[i] = m
	c.mu.Unlock()
	return nil
}

// stop closes member i (a graceful Close: it deregisters from the
// provider, then closes its partitions).
func (c *benchCluster) stop(i int) error {
	c.mu.Lock()
	m := c.members[i]
	c.members[i] = nil
	c.mu.Unlock()
	if m == nil {
		return nil
	}
	return m.Close(context.Background())
}

// member returns member i, nil while it is stopped.
func (c *benchCluster) member(i int) *partition.Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[i]
}

// waitAvailable waits (up to 30 s) until every running member sees every
// partition of every running member available.
func (c *benchCluster) waitAvailable() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := ""
		for i := range c.members {
			m := c.member(i)
			for k := 0; m != nil && k < len(c.owners); k++ {
				if owner := c.member(k % len(c.members)); owner != nil && !m.Available(k) {
					missing = fmt.Sprintf("%s does not see partition %d", m.Name(), k)
				}
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: after 30 s, %s", c.name, missing)
		}
		time.Sleep(5 * time.Millisecond) // polling the members' view, not synchronising
	}
}

// appendOp is one durable append of the bench's 256-byte payload through
// member (sender+i) mod n (so every sender appends through every member),
// to the bench's entities round robin (spread over every partition).
func (c *benchCluster) appendOp(sender, i int) error {
	m := c.member((sender + i) % len(c.members))
	a := &messages.Append{Coordinate: coords[(sender*7+i)%entities], Kind: kind, Payload: payload}
	r, err := m.Append(context.Background(), a)
	if err != nil {
		return err
	}
	if r.Version == 0 {
		return fmt.Errorf("receipt without a version: %+v", r)
	}
	return nil
}

// events is the number of events in the cluster's partitions (every
// member running).
func (c *benchCluster) events() (int, error) {
	n := 0
	for k := range c.owners {
		st, err := c.member(k % len(c.members)).LocalStore(k).Stats()
		if err != nil {
			return 0, err
		}
		n += st.Events
	}
	return n, nil
}

// Close closes every running member.
func (c *benchCluster) Close() error {
	var errs []error
	for i := range c.members {
		errs = append(errs, c.stop(i))
	}
	return errors.Join(errs...)
}

// silentSystem is an actor system that logs only errors above
// slog.LevelError (protoactor logs a peer that goes away, which the
// cluster benchmarks do on purpose, as an error).
func silentSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4}))
	}))
}

// wireCounter counts the bytes read and written on the connections a
// cluster's remotes dial. Every protoactor remote connection is dialed by
// the member that sends on it (the reply to a request travels on the
// replier's own connection), so the bytes both ways of every dialed
// connection are all the cluster's remote traffic: TCP payload, gRPC's
// HTTP/2 framing included, TCP/IP headers not.
type wireCounter struct{ n atomic.Int64 }

func (w *wireCounter) dial(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, w: w}, nil
}

// bytes returns the bytes counted so far.
func (w *wireCounter) bytes() int64 { return w.n.Load() }

type countingConn struct {
	net.Conn
	w *wireCounter
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.n.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.n.Add(int64(n))
	return n, err
}

// localStore is the baseline: one actors.Store (one partition, actors'
// defaults) in an actor system of its own, appended to through its Go API.
type localStore struct {
	sys   *actor.ActorSystem
	store *actors.Store
	meter *groupMeter
}

func openLocalStore(dir string) (*localStore, error) {
	sys, meter := silentSystem(), newGroupMeter()
	st, err := actors.Spawn(sys, clusterStoreConfig(actors.Config{Dir: dir, MeterProvider: meter.mp}))
	if err != nil {
		sys.Shutdown()
		return nil, err
	}
	return &localStore{sys: sys, store: st, meter: meter}, nil
}

// clusterStoreConfig is cfg with -cluster.nosync applied: every store of
// the cluster benchmarks, the local one included, without fsyncs (a
// diagnosis: what the CPU alone allows).
func clusterStoreConfig(cfg actors.Config) actors.Config {
	if *clusterNoSync {
		cfg.Storage.SyncMode = storage.SyncNone
	}
	return cfg
}

// appendOp is one durable append, as benchCluster.appendOp.
func (l *localStore) appendOp(sender, i int) error {
	a := &messages.Append{Coordinate: coords[(sender*7+i)%entities], Kind: kind, Payload: payload}
	r, err := l.store.Append(context.Background(), a)
	if err != nil {
		return err
	}
	if r.Version == 0 {
		return fmt.Errorf("receipt without a version: %+v", r)
	}
	return nil
}

func (l *localStore) Close() error {
	err := l.store.Close(context.Background())
	l.sys.Shutdown()
	return err
}
