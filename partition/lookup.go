package partition

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"
)

// memberKindPrefix starts the cluster kind by which a member announces its
// name: "batpak-member.<name>". Every protoactor cluster provider carries a
// member's kinds to the others (consul tags, etcd node records, Kubernetes
// pod labels), so a name needs nothing but the provider.
const memberKindPrefix = "batpak-member."

// lookup is the member's cluster.IdentityLookup: pinned placement. The
// identity (Identity(k), Kind) resolves to the front actor of the member
// that Owners[k] names, at the address that member has in the cluster's
// current topology, or to no PID when no live member has that name (or two
// do). Nothing is ever activated elsewhere: a partition lives where its
// data is. Other kinds go to the fallback lookup, if any.
type lookup struct {
	owners   []string
	fallback cluster.IdentityLookup

	view atomic.Pointer[view]

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at each topology
	es      *eventstream.EventStream
	sub     *eventstream.Subscription
}

// view is what the lookup knows of the cluster: the live members that
// announce each name, and every live member's address.
type view struct {
	byName map[string][]claimant
	addrs  []string
}

// claimant is a live member announcing a name.
type claimant struct {
	id      string // the cluster's member id
	address string // its remote address
}

var _ cluster.IdentityLookup = (*lookup)(nil)

func newLookup(owners []string, fallback cluster.IdentityLookup) *lookup {
	l := &lookup{owners: owners, fallback: fallback, changed: make(chan struct{})}
	l.view.Store(&view{})
	return l
}

// memberKind is the kind a member named name announces.
func memberKind(name string) string { return memberKindPrefix + name }

// Get implements cluster.IdentityLookup.
func (l *lookup) Get(ci *cluster.ClusterIdentity) *actor.PID {
	switch {
	case ci == nil:
		return nil
	case ci.Kind == Kind:
		k, ok := parseIdentity(ci.Identity)
		if !ok || k >= len(l.owners) {
			return nil
		}
		addr, reason := l.resolve(k)
		if reason != "" {
			return nil
		}
		return actor.NewPID(addr, frontName(k))
	case strings.HasPrefix(ci.Kind, memberKindPrefix):
		return nil // a name tag, never an actor
	case l.fallback != nil:
		return l.fallback.Get(ci)
	}
	return nil
}

// resolve returns the address of the member that owns partition k, or why
// there is none.
func (l *lookup) resolve(k int) (address, reason string) {
	name := l.owners[k]
	cs := l.view.Load().byName[name]
	switch len(cs) {
	case 0:
		return "", fmt.Sprintf("no live member of the cluster is named %q", name)
	case 1:
		return cs[0].address, ""
	}
	addrs := make([]string, len(cs))
	for i, c := range cs {
		addrs[i] = c.address
	}
	return "", fmt.Sprintf("%d live members claim the name %q (%s)", len(cs), name, strings.Join(addrs, ", "))
}

// claimants returns the live members that announce name.
func (l *lookup) claimants(name string) []claimant { return l.view.Load().byName[name] }

// changes returns a channel that is closed at the next topology change.
func (l *lookup) changes() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// observe takes the cluster's current members.
func (l *lookup) observe(members []*cluster.Member) {
	v := &view{byName: map[string][]claimant{}}
	for _, m := range members {
		v.addrs = append(v.addrs, m.Address())
		for _, kind := range m.Kinds {
			if name, ok := strings.CutPrefix(kind, memberKindPrefix); ok {
				v.byName[name] = append(v.byName[name], claimant{id: m.Id, address: m.Address()})
			}
		}
	}
	l.view.Store(v)
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// RemovePid implements cluster.IdentityLookup: a partition's front is
// never removed (it lives as long as its member); other kinds go to the
// fallback.
func (l *lookup) RemovePid(ci *cluster.ClusterIdentity, pid *actor.PID) {
	if ci != nil && ci.Kind != Kind && !strings.HasPrefix(ci.Kind, memberKindPrefix) && l.fallback != nil {
		l.fallback.RemovePid(ci, pid)
	}
}

// Setup implements cluster.IdentityLookup: it follows the cluster's
// topology from now on (the cluster calls it before the member joins).
func (l *lookup) Setup(c *cluster.Cluster, kinds []string, isClient bool) {
	l.mu.Lock()
	l.es = c.ActorSystem.EventStream
	l.sub = l.es.Subscribe(func(ev any) {
		if t, ok := ev.(*cluster.ClusterTopology); ok {
			l.observe(t.Members)
		}
	})
	l.mu.Unlock()
	if l.fallback != nil {
		l.fallback.Setup(c, kinds, isClient)
	}
}

// Shutdown implements cluster.IdentityLookup. It may be called more than
// once (protoactor's graceful Cluster.Shutdown does).
func (l *lookup) Shutdown() {
	l.mu.Lock()
	sub, es := l.sub, l.es
	l.sub = nil
	l.mu.Unlock()
	if sub == nil {
		return
	}
	es.Unsubscribe(sub)
	if l.fallback != nil {
		l.fallback.Shutdown()
	}
}
