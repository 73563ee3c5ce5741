package partition_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

// The test cluster: a client member in the test process, and one child
// process per owner (see fileProvider for why processes). Every test uses
// the same cluster name, registry directory and Owners, so the client
// member is started once for the whole test binary; each test starts its
// own owners, with fresh directories, and stops them.
const (
	childEnv    = "BATPAK_PARTITION_CHILD"
	clusterName = "batpak-partition-test"
	driverName  = "partition-test-driver"
)

// owners is the test store: 6 partitions on members a, b and c.
var owners = []string{"a", "b", "c", "a", "b", "c"}

var registry string // the fileProvider's directory

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(runChild(cfg))
	}
	dir, err := os.MkdirTemp("", "batpak-partition-registry-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	registry = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// quietSystem is an actor system whose protoactor log lines are dropped
// below slog.LevelError; in the test process, below LevelError+4 too (its
// "EndpointWriter lost connection" errors are what the tests do).
func quietSystem() *actor.ActorSystem {
	level := slog.LevelError
	if os.Getenv(childEnv) == "" {
		level += 4
	}
	return actor.NewActorSystem(actors.SystemLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))))
}

var (
	clientOnce sync.Once
	clientM    *partition.Member
	clientErr  error
)

// client returns the test process's member: a client of the test store.
func client(t testing.TB) *partition.Member {
	t.Helper()
	clientOnce.Do(func() {
		clientM, clientErr = partition.Start(partition.Config{ClusterName: clusterName, Provider: newFileProvider(registry),
			Owners: owners, System: quietSystem(), RequestTimeout: 20 * time.Second, ClusterOptions: []cluster.ConfigOption{quietGossip}})
	})
	require.NoError(t, clientErr)
	return clientM
}

// childConfig is what a child process runs.
type childConfig struct {
	Registry string
	Name     string
	Owners   []string
	Dir      string
	// MaxQueuedEvents is the partitions' stores' admission bound (0 =
	// the default).
	MaxQueuedEvents int
}

// runChild runs one member until its stdin says "stop" or ends, then
// closes it. It prints "ready <address>" once started, "closed" once
// closed, or "start-error <error>" (exit 3).
func runChild(raw string) int {
	var cc childConfig
	if err := json.Unmarshal([]byte(raw), &cc); err != nil {
		fmt.Println("start-error", err)
		return 3
	}
	m, err := partition.Start(partition.Config{ClusterName: clusterName, Provider: newFileProvider(cc.Registry), Name: cc.Name,
		Owners: cc.Owners, Dir: cc.Dir, Create: true, System: quietSystem(), RequestTimeout: 20 * time.Second, ClusterOptions: []cluster.ConfigOption{quietGossip},
		Store: actors.Config{Storage: storage.Options{SegmentSize: 64 << 10, Preallocate: -1}, MaxQueuedEvents: cc.MaxQueuedEvents}})
	if err != nil {
		fmt.Println("start-error", strings.ReplaceAll(err.Error(), "\n", " "))
		return 3
	}
	if _, err := m.System().Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &driver{m: m} }), driverName); err != nil {
		fmt.Println("start-error", err)
		return 3
	}
	fmt.Println("ready", m.Address())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() && in.Text() != "stop" {
	}
	if err := m.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		return 4
	}
	// What Close promises afterwards.
	if err := m.Close(context.Background()); !errors.Is(err, messages.ErrClosed) {
		fmt.Fprintln(os.Stderr, "second close:", err)
		return 5
	}
	if _, err := m.Append(context.Background(), &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)}); !errors.Is(err, messages.ErrClosed) {
		fmt.Fprintln(os.Stderr, "append after close:", err)
		return 6
	}
	fmt.Println("closed")
	return 0
}

// driver is a child's test actor: it runs the requests the test process
// sends it through the child's own member (so they are routed from that
// member), and answers with the store's reply types (a failure as
// messages.ToError of the member's error). A ReadStream reads the whole
// stream from From, a ReadQuery queries every partition (prefix, scope and
// kinds), a ReadCorrelation reads the correlation everywhere.
type driver struct{ m *partition.Member }

func (d *driver) Receive(ctx actor.Context) {
	to, msg := ctx.Sender(), ctx.Message()
	if to == nil {
		return
	}
	go func() { ctx.ActorSystem().Root.Send(to, d.run(msg)) }()
}

func (d *driver) run(msg any) any {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	switch m := msg.(type) {
	case *messages.Append:
		r, err := d.m.Append(c, m)
		return &messages.AppendReply{Receipt: r, Failure: messages.ToError(err)}
	case *messages.AppendBatch:
		rs, err := d.m.AppendBatch(c, m)
		return &messages.AppendBatchReply{Receipts: rs, Failure: messages.ToError(err)}
	case *messages.ReadStream:
		evs, err := d.m.Stream(c, m.Coordinate, m.From)
		return &messages.ReadReply{Events: evs, End: err == nil, Failure: messages.ToError(err)}
	case *messages.ReadQuery:
		evs, err := d.m.Query(c, partition.Filter{EntityPrefix: m.EntityPrefix, Scope: m.Scope, Kinds: m.Kinds})
		return &messages.ReadReply{Events: evs, End: err == nil, Failure: messages.ToError(err)}
	case *messages.ReadCorrelation:
		evs, err := d.m.ByCorrelation(c, m.ID)
		return &messages.ReadReply{Events: evs, End: err == nil, Failure: messages.ToError(err)}
	}
	return &messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage, Message: fmt.Sprintf("driver: %T", msg)}}
}

// proc is a child process running one member.
type proc struct {
	t      testing.TB
	name   string
	dir    string
	addr   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *lockedWriter
	stdout *io.PipeWriter
	done   bool
}

// startChild starts a member (cc; Owners default to the test store's) and
// waits until it has started, or failed to: then it returns the child's
// "start-error ..." line.
func startChild(t testing.TB, cc childConfig) (*proc, string) {
	t.Helper()
	p, startErr, err := launch(t, cc)
	require.NoError(t, err)
	return p, startErr
}

// launch is startChild without failing the test, so that it may run on
// another goroutine.
func launch(t testing.TB, cc childConfig) (*proc, string, error) {
	cc.Registry = registry
	if cc.Owners == nil {
		cc.Owners = owners
	}
	raw, err := json.Marshal(cc)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(os.Args[0])
	// The race detector waits 1 s at exit for late reports; 100 ms will do.
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=100"))
	p := &proc{t: t, name: cc.Name, dir: cc.Dir, cmd: cmd, lines: make(chan string, 16), stderr: &lockedWriter{}}
	cmd.Stderr = p.stderr
	out, pw := io.Pipe()
	cmd.Stdout, p.stdout = pw, pw // Wait waits until everything printed is copied
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(p.kill)
	select {
	case line := <-p.lines:
		if addr, ok := strings.CutPrefix(line, "ready "); ok {
			p.addr = addr
			return p, "", nil
		}
		p.wait()
		return p, line, nil
	case <-time.After(60 * time.Second):
		return nil, "", fmt.Errorf("member %s did not start in 60 s; stderr:\n%s", cc.Name, p.stderr)
	}
}

// mustStart starts a member that must start.
func mustStart(t testing.TB, name, dir string) *proc {
	t.Helper()
	p, startErr := startChild(t, childConfig{Name: name, Dir: dir})
	require.Empty(t, startErr, "member %s", name)
	return p
}

// stop closes the member (graceful) and checks that it closed cleanly,
// with no data race reported in its process.
func (p *proc) stop() {
	p.t.Helper()
	p.signalStop()
	p.waitStopped()
}

// signalStop tells the member to close.
func (p *proc) signalStop() {
	p.t.Helper()
	_, err := io.WriteString(p.stdin, "stop\n")
	require.NoError(p.t, err)
}

// waitStopped waits until the member has closed and checks that it closed
// cleanly, with no data race reported in its process.
func (p *proc) waitStopped() {
	p.t.Helper()
	p.wait()
	require.Equal(p.t, 0, p.cmd.ProcessState.ExitCode(), "member %s exit code; stderr:\n%s", p.name, p.stderr)
	require.NotContains(p.t, p.stderr.String(), "DATA RACE", "member %s", p.name)
	got := ""
	for line := range p.lines {
		got = line
	}
	require.Equal(p.t, "closed", got)
}

// wait waits for the process to exit.
func (p *proc) wait() {
	if !p.done {
		p.done = true
		_ = p.cmd.Wait()
		_ = p.stdout.Close()
	}
}

// kill ends a process the test left running, and removes its registry
// file so that the client no longer sees it.
func (p *proc) kill() {
	if p.done {
		return
	}
	_ = p.stdin.Close() // a child closes when its stdin ends
	select {
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
	case <-waitChan(p.cmd):
	}
	_ = p.stdout.Close()
	p.done = true
	if strings.Contains(p.stderr.String(), "DATA RACE") {
		p.t.Errorf("member %s reported a data race:\n%s", p.name, p.stderr)
	}
}

func waitChan(cmd *exec.Cmd) <-chan struct{} {
	ch := make(chan struct{})
	go func() { _ = cmd.Wait(); close(ch) }()
	return ch
}

// lockedWriter serialises writes to a buffer read by the test.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

// String returns what was written so far.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// trio starts a, b and c, each in its own directory under root, and
// waits until the client sees every partition available.
func trio(t *testing.T, root string) map[string]*proc {
	t.Helper()
	c := client(t)
	ps := map[string]*proc{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []string
	for _, name := range []string{"a", "b", "c"} {
		wg.Go(func() {
			p, startErr, err := launch(t, childConfig{Name: name, Dir: filepath.Join(root, name)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err.Error())
			case startErr != "":
				errs = append(errs, name+": "+startErr)
			default:
				ps[name] = p
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	require.Len(t, ps, 3)
	waitAvailable(t, c, "a", "b", "c")
	return ps
}

// waitAvailable waits until the client sees the partitions of the named
// owners available (membership converges through the provider's polls).
func waitAvailable(t testing.TB, c *partition.Member, names ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for k := range c.Partitions() {
			for _, n := range names {
				if c.Owner(k) == n && !c.Available(k) {
					return false
				}
			}
		}
		return true
	}, 30*time.Second, 5*time.Millisecond)
}

// ask sends msg to the driver of member p and returns its reply.
func ask(t *testing.T, p *proc, msg any) any {
	t.Helper()
	res, err := client(t).System().Root.RequestFuture(actor.NewPID(p.addr, driverName), msg, 30*time.Second).Result()
	require.NoError(t, err)
	return res
}
