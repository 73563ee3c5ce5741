package partition_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
)

// fileProvider is a protoactor cluster provider for tests whose members
// run in separate processes on one machine: each member is a JSON file in
// a shared directory (written on StartMember, removed on Shutdown), and
// each member polls the directory and publishes the cluster's topology (a
// *cluster.ClusterTopology on the actor system's event stream, which the
// identity lookup follows) when the set of files changed. It plays the part
// of protoactor's test provider (whose in-memory agent cannot cross a
// process) or of consul.
//
// Why processes: protoactor-go (this version) cannot run several remotes
// in one process under the race detector. Remote.Start calls
// grpclog.SetLoggerV2, an unsynchronised global write that races with the
// gRPC goroutines of every remote already running; cluster gossip shuffles
// with one package-level rand.Rand shared by every member of the process;
// and a graceful remote shutdown races on its endpoint manager.
//
// Why it publishes the topology itself rather than through
// MemberList.UpdateClusterTopology, and why the test members' gossip
// interval is an hour: protoactor's remote.BlockList writes its set under a
// lock (Block: for every member that leaves, and on every gossiped
// topology) but reads it without one (IsBlocked: on every inbound
// connection and every gossip round), a data race within one process each
// time a member leaves. The event published is the one UpdateClusterTopology
// publishes (members, joined, left, hash); the identity lookup reads only
// its members.
type fileProvider struct {
	dir   string
	every time.Duration

	c    *cluster.Cluster
	self string                     // this member's file, "" for a client
	last string                     // the member set last published
	prev map[string]*cluster.Member // ... by id

	once sync.Once
	stop chan struct{}
	done chan struct{}
}

// fileMember is one member's file.
type fileMember struct {
	ID    string   `json:"id"`
	Host  string   `json:"host"`
	Port  int      `json:"port"`
	Kinds []string `json:"kinds"`
}

func newFileProvider(dir string) *fileProvider {
	return &fileProvider{dir: dir, every: 20 * time.Millisecond, stop: make(chan struct{}), done: make(chan struct{})}
}

// StartMember implements cluster.ClusterProvider.
func (p *fileProvider) StartMember(c *cluster.Cluster) error {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return err
	}
	b, err := json.Marshal(fileMember{ID: c.ActorSystem.ID, Host: host, Port: port, Kinds: c.GetClusterKinds()})
	if err != nil {
		return err
	}
	p.self = filepath.Join(p.dir, c.ActorSystem.ID+".json")
	tmp := p.self + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, p.self); err != nil {
		return err
	}
	return p.StartClient(c)
}

// StartClient implements cluster.ClusterProvider.
func (p *fileProvider) StartClient(c *cluster.Cluster) error {
	p.c = c
	p.poll()
	go p.loop()
	return nil
}

// Shutdown implements cluster.ClusterProvider: the member's file goes, so
// the others see it leave at their next poll.
func (p *fileProvider) Shutdown(bool) error {
	var err error
	p.once.Do(func() {
		if p.self != "" {
			err = os.Remove(p.self)
		}
		close(p.stop)
		<-p.done
	})
	return err
}

func (p *fileProvider) loop() {
	defer close(p.done)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.poll()
		}
	}
}

// poll reads the members' files and gives the cluster the member set when
// it changed.
func (p *fileProvider) poll() {
	names, err := os.ReadDir(p.dir)
	if err != nil {
		return
	}
	var ms []fileMember
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.dir, n.Name()))
		var m fileMember
		if err != nil || json.Unmarshal(b, &m) != nil {
			continue // removed meanwhile
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b fileMember) int { return strings.Compare(a.ID, b.ID) })
	key, _ := json.Marshal(ms)
	if string(key) == p.last {
		return
	}
	p.last = string(key)
	t := &cluster.ClusterTopology{}
	now := map[string]*cluster.Member{}
	for _, m := range ms {
		cm := &cluster.Member{Id: m.ID, Host: m.Host, Port: int32(m.Port), Kinds: m.Kinds}
		now[m.ID] = cm
		t.Members = append(t.Members, cm)
		if p.prev[m.ID] == nil {
			t.Joined = append(t.Joined, cm)
		}
	}
	for id, m := range p.prev {
		if now[id] == nil {
			t.Left = append(t.Left, m)
		}
	}
	p.prev = now
	t.TopologyHash = cluster.TopologyHash(t.Members)
	p.c.ActorSystem.EventStream.Publish(t)
}

// quietGossip is the cluster option of every test member: no gossip
// rounds during a test (see fileProvider).
func quietGossip(c *cluster.Config) { c.GossipInterval = time.Hour }
