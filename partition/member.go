package partition

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// Member is one member of a partitioned store on a protoactor cluster: it
// owns the partitions its Name owns (each an ordinary batpak store in its
// own directory, behind a front actor the cluster resolves the partition's
// identity to) and routes the calls of its Go API to the partition of each
// entity, wherever that partition lives. A member that owns no partition
// is a client. Its methods are safe for concurrent use.
type Member struct {
	cfg    Config
	n      int
	sys    *actor.ActorSystem
	c      *cluster.Cluster
	lk     *lookup
	stores map[int]*actors.Store
	fronts []*actor.PID
	closed atomic.Bool
	stop   chan struct{} // closed by Close: calls in flight return
}

// Start opens the partitions cfg.Name owns (each partition directory's
// metadata checked against the configuration, or created with it), spawns
// their front actors, then joins the cluster: once Start returns, the
// other members route this member's partitions here as soon as their
// cluster provider tells them it joined. Start fails, having joined
// nothing, on a bad configuration (messages.ErrInvalidArgument), a
// partition directory made for another partition count (ErrPartitionCount)
// or another partition (ErrPartitionMismatch), or a store that does not
// open; and, having left again, when the remote cannot listen or another
// live member already has this member's name (ErrMemberNameTaken).
func Start(cfg Config) (*Member, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.Owners = slices.Clone(cfg.Owners)
	m := &Member{cfg: cfg, n: len(cfg.Owners), sys: cfg.System, stores: map[int]*actors.Store{}, stop: make(chan struct{})}
	if err := m.openPartitions(); err != nil {
		m.closeLocal(context.Background())
		return nil, err
	}
	m.lk = newLookup(cfg.Owners, cfg.Fallback)
	var opts []cluster.ConfigOption
	if cfg.Name != "" {
		opts = append(opts, cluster.WithKinds(cluster.NewKind(memberKind(cfg.Name), nameTagProps())))
	}
	opts = append(opts, cfg.ClusterOptions...)
	m.c = cluster.New(m.sys, cluster.Configure(cfg.ClusterName, cfg.Provider, m.lk, cfg.Remote, opts...))
	if err := m.join(); err != nil {
		m.closeLocal(context.Background())
		return nil, err
	}
	if other, ok := m.nameTaken(); ok {
		_ = m.Close(context.Background())
		return nil, fmt.Errorf("batpak partition: the member at %s is already named %q: %w", other, cfg.Name, ErrMemberNameTaken)
	}
	return m, nil
}

// openPartitions opens the store of each partition this member owns and
// spawns its front.
func (m *Member) openPartitions() error {
	if len(m.cfg.owned()) > 0 {
		if err := checkCount(m.cfg.Dir, m.n); err != nil {
			return err
		}
	}
	for _, k := range m.cfg.owned() {
		dir, err := preparePartition(partitionDir(m.cfg.Dir, k), want(k, m.n), m.cfg.Create)
		if err != nil {
			return err
		}
		sc := m.cfg.Store
		sc.Dir, sc.Name = dir, "batpak-p-"+fmt.Sprint(k)
		s, err := actors.Spawn(m.sys, sc)
		if err != nil {
			return fmt.Errorf("batpak partition: open partition %d: %w", k, err)
		}
		m.stores[k] = s
		pid, err := m.sys.Root.SpawnNamed(frontProps(k, m.n, s.Writer(), s.Reader()), frontName(k))
		if err != nil {
			return fmt.Errorf("batpak partition: spawn partition %d's front: %w", k, err)
		}
		m.fronts = append(m.fronts, pid)
	}
	return nil
}

// join starts the cluster member (protoactor panics when its remote cannot
// listen or the provider fails: that is an error here).
func (m *Member) join() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("batpak partition: join cluster %q: %v", m.cfg.ClusterName, r)
			if m.c.Remote != nil {
				func() { defer func() { _ = recover() }(); m.c.Remote.Shutdown(false) }()
			}
		}
	}()
	m.c.StartMember()
	return nil
}

// nameTaken returns the address of another live member with this
// member's name, as far as the topology seen on joining shows one.
func (m *Member) nameTaken() (string, bool) {
	if m.cfg.Name == "" {
		return "", false
	}
	for _, c := range m.lk.claimants(m.cfg.Name) {
		if c.id != m.sys.ID && c.address != m.sys.Address() {
			return c.address, true
		}
	}
	return "", false
}

// Close leaves the cluster and closes this member's partitions: it tells
// the cluster provider the member leaves (the other members then answer
// ErrPartitionUnavailable for its partitions as soon as their provider
// tells them), stops the partitions' front actors (a request arriving
// after that is a dead letter, which the sender also sees as
// ErrPartitionUnavailable), closes each partition's store (requests already
// queued at a store are answered: see actors.Store.Close), then shuts the
// remote and the actor system down. Calls through this member after Close
// get messages.ErrClosed, and so do calls in flight when Close begins
// (their replies could no longer reach this member): at once, an append's
// error also matching messages.ErrOutcomeUnknown. A second Close returns an
// error matching messages.ErrClosed.
func (m *Member) Close(ctx context.Context) error {
	if !m.closed.CompareAndSwap(false, true) {
		return closedErr()
	}
	if m.stop != nil {
		close(m.stop)
	}
	var errs []error
	if err := m.cfg.Provider.Shutdown(true); err != nil {
		errs = append(errs, fmt.Errorf("batpak partition: leave the cluster: %w", err))
	}
	m.c.Gossip.Shutdown()
	errs = append(errs, m.closeLocal(ctx))
	m.lk.Shutdown()
	m.dropConnections()
	// Not Cluster.Shutdown(true): its graceful remote shutdown races in
	// protoactor (endpointManager.stop) and waits 2 s to 10 s; everything it
	// would do for this member is done above.
	m.c.Shutdown(false)
	return errors.Join(errs...)
}

// closeLocal stops the fronts and closes the stores.
func (m *Member) closeLocal(ctx context.Context) error {
	for _, pid := range m.fronts {
		_ = m.sys.Root.StopFuture(pid).Wait()
	}
	var errs []error
	for _, k := range m.cfg.owned() {
		if s := m.stores[k]; s != nil {
			if err := s.Close(ctx); err != nil && !errors.Is(err, messages.ErrClosed) {
				errs = append(errs, fmt.Errorf("batpak partition: close partition %d: %w", k, err))
			}
		}
	}
	return errors.Join(errs...)
}

// dropConnections closes the remote's connections to the other members
// (protoactor's endpoint writers), which a non-graceful remote shutdown
// leaves open.
func (m *Member) dropConnections() {
	for _, addr := range m.lk.view.Load().addrs {
		if addr != m.sys.Address() {
			m.sys.EventStream.Publish(&remote.EndpointTerminatedEvent{Address: addr})
		}
	}
}

// Partitions returns the number of partitions, N.
func (m *Member) Partitions() int { return m.n }

// PartitionOf returns the partition of entity: PartitionOf(entity, N).
func (m *Member) PartitionOf(entity string) int { return PartitionOf(entity, m.n) }

// Owner returns the name of the member that owns partition k, or "" when
// there is no partition k.
func (m *Member) Owner(k int) string {
	if k < 0 || k >= len(m.cfg.Owners) {
		return ""
	}
	return m.cfg.Owners[k]
}

// Name returns this member's name ("" for a client).
func (m *Member) Name() string { return m.cfg.Name }

// Address returns this member's remote address.
func (m *Member) Address() string { return m.sys.Address() }

// System returns the member's actor system.
func (m *Member) System() *actor.ActorSystem { return m.sys }

// Cluster returns the member's protoactor cluster. Cluster().Get(
// Identity(k), Kind) resolves partition k's front actor, as the member's
// own calls do.
func (m *Member) Cluster() *cluster.Cluster { return m.c }

// LocalStore returns the store of partition k when this member owns it,
// else nil: for what the Go API of one store offers (Verify, Stats,
// subscriptions to that partition's events).
func (m *Member) LocalStore(k int) *actors.Store { return m.stores[k] }

// Available reports whether partition k's owner is a live member of the
// cluster, as this member sees it now (a call may still find it gone).
func (m *Member) Available(k int) bool {
	if k < 0 || k >= m.n {
		return false
	}
	_, reason := m.lk.resolve(k)
	return reason == ""
}

func closedErr() error {
	return &messages.Error{Code: messages.CodeClosed, Message: "batpak partition: the member is closed"}
}
