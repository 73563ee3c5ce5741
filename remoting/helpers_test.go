package remoting_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
)

func TestMain(m *testing.M) {
	if env := os.Getenv(childEnv); env != "" {
		os.Exit(runChild(env))
	}
	os.Exit(m.Run())
}

var kind = messages.MustKind(1, 1)

func coord(e string) messages.Coordinate { return messages.Coordinate{Entity: e, Scope: "test"} }

// wait bounds the requests that must succeed: only reached when something
// is broken.
const wait = 10 * time.Second

// quietLogger logs warnings and errors only.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// nodeA is the test process's one node on the network (see child_test.go
// for why there is only one): plaintext on loopback, remoting's defaults.
var nodeA struct {
	once sync.Once
	sys  *actor.ActorSystem
	err  error
}

// sharedNode returns node A, started on first use.
func sharedNode(t *testing.T) *actor.ActorSystem {
	t.Helper()
	nodeA.once.Do(func() {
		nodeA.sys = actor.NewActorSystem(actors.SystemLogger(quietLogger()))
		_, nodeA.err = remoting.Start(nodeA.sys, remoting.Config{})
	})
	require.NoError(t, nodeA.err)
	return nodeA.sys
}

var storeSeq atomic.Int64

// storeNode is a store on node A.
type storeNode struct {
	sys      *actor.ActorSystem
	store    *actors.Store
	name     string
	recorder *tracetest.SpanRecorder
}

// storeOnA spawns a store on node A, in a fresh directory, under a fresh
// name unless acfg has one, recording its spans; it is closed when the
// test ends.
func storeOnA(t *testing.T, acfg actors.Config) *storeNode {
	t.Helper()
	sys := sharedNode(t)
	if acfg.Name == "" {
		acfg.Name = fmt.Sprintf("store%d", storeSeq.Add(1))
	}
	rec := tracetest.NewSpanRecorder()
	acfg.Dir = t.TempDir()
	acfg.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	acfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	s, err := actors.Spawn(sys, acfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return &storeNode{sys: sys, store: s, name: acfg.Name, recorder: rec}
}

func (a *storeNode) writer() *actor.PID { return remoting.WriterPID(a.sys.Address(), a.name) }
func (a *storeNode) reader() *actor.PID { return remoting.ReaderPID(a.sys.Address(), a.name) }

// events returns the number of committed events of a's store.
func (a *storeNode) events(t *testing.T) int {
	t.Helper()
	st, err := a.store.Stats()
	require.NoError(t, err)
	return st.Events
}

// child is a node in a child process (see child_test.go).
type child struct {
	Addr   string
	cmd    *exec.Cmd
	enc    *json.Encoder
	dec    *json.Decoder
	stdin  interface{ Close() error }
	stderr *syncBuffer
	mu     sync.Mutex // one command at a time
}

// spawnChild starts a child node; it is stopped when the test ends, and
// the test fails if it did not exit cleanly (a race found in it exits
// with 66).
func spawnChild(t *testing.T, cfg childConfig) *child {
	t.Helper()
	c, first := launch(t, cfg)
	if first.Err != "" {
		t.Fatalf("child did not start: %s\n%s", first.Err, c.stderr)
	}
	c.Addr = first.Addr
	return c
}

// spawnChildRaw starts a child that reports one result and exits, and
// returns the result.
func spawnChildRaw(t *testing.T, cfg childConfig) result {
	t.Helper()
	_, first := launch(t, cfg)
	return first
}

// launch starts a child and reads its first result.
func launch(t *testing.T, cfg childConfig) (*child, result) {
	t.Helper()
	env, err := json.Marshal(cfg)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+string(env),
		// the race detector's default 1 s pause at exit, per child, is not needed
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	c := &child{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = c.stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c.enc, c.dec, c.stdin = json.NewEncoder(in), json.NewDecoder(out), in
	t.Cleanup(func() { c.stop(t) })
	var first result
	if err := c.dec.Decode(&first); err != nil {
		t.Fatalf("child did not start: %v\n%s", err, c.stderr)
	}
	return c, first
}

// stop ends the child and checks its exit.
func (c *child) stop(t *testing.T) {
	_ = c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("child exited with %v\n%s", err, c.stderr)
		}
	case <-time.After(wait):
		_ = c.cmd.Process.Kill()
		t.Errorf("child did not exit\n%s", c.stderr)
	}
}

// do runs cmd on the child.
func (c *child) do(t *testing.T, cmd command) result {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if cmd.TimeoutMS == 0 {
		cmd.TimeoutMS = int(wait / time.Millisecond)
	}
	require.NoError(t, c.enc.Encode(cmd))
	var r result
	if err := c.dec.Decode(&r); err != nil {
		t.Fatalf("child: %v\n%s", err, c.stderr)
	}
	return r
}

// wire returns msg's wire form.
func wire(t *testing.T, msg remote.RootSerializable) (string, []byte) {
	t.Helper()
	w, err := msg.Serialize()
	require.NoError(t, err)
	return w.(*messages.Wire).Type, w.(*messages.Wire).Body
}

// ask sends msg from the child to pid and returns the reply; the request
// must be answered.
func (c *child) ask(t *testing.T, pid *actor.PID, msg remote.RootSerializable) any {
	t.Helper()
	r := c.try(t, pid, msg, wait)
	require.Empty(t, r.Err, "the request failed")
	return r.reply(t)
}

// try sends msg from the child to pid and returns what came of it.
func (c *child) try(t *testing.T, pid *actor.PID, msg remote.RootSerializable, timeout time.Duration) result {
	t.Helper()
	typ, body := wire(t, msg)
	return c.do(t, command{Op: "ask", Addr: pid.Address, ID: pid.Id, Type: typ, Body: body, TimeoutMS: int(timeout / time.Millisecond)})
}

// appendReq is an append to entity e.
func appendReq(e string) *messages.Append { return &messages.Append{Coordinate: coord(e), Kind: kind} }

// appendTo sends msg from the child to a's writer and returns the reply.
func (c *child) appendTo(t *testing.T, a *storeNode, msg *messages.Append) *messages.AppendReply {
	t.Helper()
	res := c.ask(t, a.writer(), msg)
	r, ok := res.(*messages.AppendReply)
	require.True(t, ok, "reply %T", res)
	return r
}

// reply decodes the reply a child returned.
func (r result) reply(t *testing.T) any {
	t.Helper()
	m, err := (&messages.Wire{Type: r.Type, Body: r.Body}).Deserialize()
	require.NoError(t, err)
	_, undecodable := m.(*messages.Undecodable)
	require.False(t, undecodable, "reply %s does not decode", r.Type)
	return m
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ctx is a context that ends with the test, or after wait.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}
