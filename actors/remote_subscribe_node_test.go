package actors

// Remote tests run node A, the store, in a child process: this test binary
// run again, driven over its stdin and stdout (one JSON command, one JSON
// reply, per line). Node B is the test process itself, whose protoactor
// remote is started once (sharedNodeB).
//
// Why processes: protoactor's remote.Start sets gRPC's global logger
// (grpclog.SetLoggerV2) every time, without synchronisation, while the
// gRPC goroutines of any remote already running in the process read it;
// the race detector reports it for every second remote started in one
// process. So each process here starts at most one.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// nodeEnv, when set, makes this test binary a store node (runNode).
const nodeEnv = "BATPAK_ACTORS_STORE_NODE"

func TestMain(m *testing.M) {
	if os.Getenv(nodeEnv) != "" {
		os.Exit(runNode())
	}
	os.Exit(m.Run())
}

// nodeCmd is one command to a store node.
type nodeCmd struct {
	// Op is "append" (N events, one commit each, to Entity+i%7 with kind
	// Kind), "batch" (one batch of N events to Entity), "gaps",
	// "subscribers", "peak" (the most events in flight to one remote
	// subscriber), "close" (Store.Close), "crash" (make the writer stop
	// for good, and wait until it has) or "subscribe" (subscribe to the
	// store at Addr/ID from this node; for a node that plays the
	// subscriber's).
	Op       string
	Entity   string
	Kind     uint16
	N        int
	Addr, ID string
}

// nodeReply is a store node's answer. The first line a node writes has
// its address and its store's PIDs.
type nodeReply struct {
	Addr, Fanout, Reader, Writer string
	Seqs                         []uint64
	N                            int64
	Err                          string
}

// runNode runs a store node until its stdin ends.
func runNode() int {
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) int { _ = out.Encode(nodeReply{Err: err.Error()}); return 1 }
	sys := quietSystem()
	r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0))
	r.Start()
	dir, err := os.MkdirTemp("", "batpak-node")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	s, err := Spawn(sys, Config{Dir: dir})
	if err != nil {
		return fail(err)
	}
	if err := out.Encode(nodeReply{Addr: sys.Address(), Fanout: s.Fanout().Id, Reader: s.Reader().Id, Writer: s.Writer().Id}); err != nil {
		return 1
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var c nodeCmd
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			return fail(err)
		}
		if err := out.Encode(doNode(s, c)); err != nil {
			return 1
		}
	}
	_ = s.Close(context.Background())
	r.Shutdown(false)
	return 0
}

// doNode runs one command on a store node.
func doNode(s *Store, c nodeCmd) nodeReply {
	ctx := context.Background()
	var rep nodeReply
	var err error
	switch c.Op {
	case "append":
		for i := 0; i < c.N && err == nil; i++ {
			var r messages.Receipt
			r, err = s.Append(ctx, &messages.Append{Coordinate: coord(fmt.Sprintf("%s%d", c.Entity, i%7)), Kind: messages.EventKind(c.Kind), Payload: []byte{byte(i)}})
			rep.Seqs = append(rep.Seqs, r.Sequence)
		}
	case "batch":
		items := make([]messages.BatchItem, c.N)
		for i := range items {
			items[i] = messages.BatchItem{Coordinate: coord(c.Entity), Kind: messages.EventKind(c.Kind)}
		}
		var rs []messages.Receipt
		rs, err = s.AppendBatch(ctx, &messages.AppendBatch{Items: items})
		for _, r := range rs {
			rep.Seqs = append(rep.Seqs, r.Sequence)
		}
	case "gaps":
		rep.N = s.Gaps()
	case "subscribers":
		rep.N = int64(s.Subscribers())
	case "peak":
		rep.N = s.sh.fan.remote.peak.Load()
	case "close":
		err = s.Close(ctx)
	case "crash":
		for i := 0; i < 2; i++ { // the default policy restarts once
			s.sys.Root.Send(s.Writer(), &faults.Panic{Reason: "boom"})
		}
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("the writer did not stop")
		}
	case "subscribe":
		var from uint64
		_, from, err = SubscribeRemote(s.sys.Root, actor.NewPID(c.Addr, c.ID), actor.PropsFromFunc(func(actor.Context) {}), storage.Filter{}, 0)
		rep.N = int64(from)
	default:
		err = fmt.Errorf("unknown op %q", c.Op)
	}
	if err != nil {
		rep.Err = err.Error()
	}
	return rep
}

// storeNode is a running store node, seen from the test.
type storeNode struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	lines  chan string
	stderr *lockedBuffer
	info   nodeReply
}

// startStoreNode starts a store node for the test; it ends with the test.
func startStoreNode(t *testing.T) *storeNode {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	// The race detector's default 1 s pause at exit is not needed here.
	cmd.Env = append(os.Environ(), nodeEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	n := &storeNode{cmd: cmd, lines: make(chan string, 16), stderr: &lockedBuffer{}}
	cmd.Stderr = n.stderr
	var err error
	n.in, err = cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "{") {
				n.lines <- sc.Text()
			}
		}
		close(n.lines)
	}()
	t.Cleanup(func() { n.stop(t) })
	n.info = n.read(t)
	require.Empty(t, n.info.Err)
	return n
}

// read waits for the node's next reply.
func (n *storeNode) read(t *testing.T) nodeReply {
	t.Helper()
	select {
	case line, ok := <-n.lines:
		require.True(t, ok, "the store node exited; its stderr:\n%s", n.stderr.String())
		var r nodeReply
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("no reply from the store node; its stderr:\n%s", n.stderr.String())
		return nodeReply{}
	}
}

// do runs c on the node and returns its reply; an error fails the test.
func (n *storeNode) do(t *testing.T, c nodeCmd) nodeReply {
	t.Helper()
	n.send(t, c)
	r := n.read(t)
	require.Empty(t, r.Err, "%s", c.Op)
	return r
}

// send sends c to the node; read takes its reply.
func (n *storeNode) send(t *testing.T, c nodeCmd) {
	t.Helper()
	b, err := json.Marshal(c)
	require.NoError(t, err)
	_, err = n.in.Write(append(b, '\n'))
	require.NoError(t, err)
}

// kill ends the node's process at once, as a lost machine.
func (n *storeNode) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, n.cmd.Process.Kill())
}

// stop ends the node: stdin closed, then killed if it lingers.
func (n *storeNode) stop(t *testing.T) {
	_ = n.in.Close()
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-done
		t.Errorf("the store node did not stop; its stderr:\n%s", n.stderr.String())
	}
}

// pid is the PID of the node's actor called id.
func (n *storeNode) pid(id string) *actor.PID { return actor.NewPID(n.info.Addr, id) }

// lockedBuffer is a strings.Builder safe for the writer goroutine of
// exec.Cmd and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// nodeB is the test process's own remote node, started once.
var nodeB struct {
	once sync.Once
	sys  *actor.ActorSystem
}

// sharedNodeB returns the test process's actor system on the network
// (127.0.0.1, a free port), started on first use.
func sharedNodeB() *actor.ActorSystem {
	nodeB.once.Do(func() {
		nodeB.sys = quietSystem()
		remote.NewRemote(nodeB.sys, remote.Configure("127.0.0.1", 0)).Start()
	})
	return nodeB.sys
}
