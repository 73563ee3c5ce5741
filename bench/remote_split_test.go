package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/storage"
)

// The same cells as BenchmarkRemoteAppends, with node B in a process of
// its own (this test binary again, as TestRemoteSenderNode): node A's CPU
// per remote append is then measured apart from node B's, which is what a
// partition owner pays per append from another member. Both processes
// still share this machine's cores.
//
//	cd bench && go test -run '^$' -bench RemoteAppendsSplit -benchtime 1x -count 5
//
// Each cell reports -cpu-us/op for node A's process (for the local cells,
// senders included) and, for bare and remote, -cpuB-us/op for node B's.
func BenchmarkRemoteAppendsSplit(b *testing.B) {
	cfg := actors.Config{Dir: b.TempDir()} // durable: storage.SyncEveryCommit
	if *remoteNoSync {
		cfg.Storage.SyncMode = storage.SyncNone
	}
	a, err := startStoreNode(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := a.Close(); err != nil {
			b.Error(err)
		}
	}()
	child, err := startSenderChild(a)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := child.stop(); err != nil {
			b.Error(err)
		}
	}()
	var cells []remoteCell
	for _, n := range []int{1, 64} {
		cells = append(cells,
			remoteCell{name: fmt.Sprintf("bare%d", n), senders: n},
			remoteCell{name: fmt.Sprintf("local%d", n), senders: n, appends: true, op: a.localOp},
			remoteCell{name: fmt.Sprintf("remote%d", n), senders: n, appends: true})
	}
	ctx := context.Background()
	// Warm up (the child warms its own cells up before it says ready).
	for _, c := range cells {
		if c.op != nil {
			if _, err := runCell(ctx, min(c.senders, 8), 100*time.Millisecond, c.op); err != nil {
				b.Fatalf("warm-up %s: %v", c.name, err)
			}
		}
	}
	slice := *remoteCellDur / time.Duration(max(*remoteSlices, 1))
	local := make([]cellResult, len(cells)) // local cells; node A's CPU for the others
	b.ResetTimer()
	for range b.N {
		for _, i := range interleave(len(cells), *remoteSlices) {
			c := cells[i]
			if c.op != nil {
				r, err := runCell(ctx, c.senders, slice, c.op)
				if err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
				local[i].merge(r)
				continue
			}
			cpu0, known := processCPU()
			if err := child.run(c.name, c.senders, slice); err != nil {
				b.Fatalf("%s: %v", c.name, err)
			}
			cpu1, _ := processCPU()
			local[i].merge(cellResult{cpu: cpu1 - cpu0, cpuKnown: known})
		}
	}
	b.StopTimer()
	peer, err := child.report()
	if err != nil {
		b.Fatal(err)
	}
	sums := make([]cellSummary, len(cells))
	for i, c := range cells {
		if c.op != nil {
			sums[i] = local[i].summary()
			continue
		}
		s, ok := peer[c.name]
		if !ok {
			b.Fatalf("node B did not report %s", c.name)
		}
		// The child's CPU is node B's; this process's, node A's.
		s.PeerCPU, s.PeerKnown = s.CPU, s.CPUKnown
		s.CPU, s.CPUKnown = local[i].cpu, local[i].cpuKnown
		sums[i] = s
	}
	reportCells(b, cells, sums)
}

// Environment of the sender child: node A's echo and writer PIDs.
const (
	envSenderEcho   = "BATPAK_BENCH_SENDER_ECHO"
	envSenderWriter = "BATPAK_BENCH_SENDER_WRITER"
)

// senderChild is node B in a child process, driven over its stdin and
// stdout: "run <cell> <senders> <duration>" runs a cell's slice and
// answers "ok" (or "error: ..."), "report" answers a JSON object of
// cellSummary by cell for everything run so far, "quit" ends it.
type senderChild struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startSenderChild starts node B in a child process and waits until it
// has reached node A.
func startSenderChild(a *storeNode) (*senderChild, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestRemoteSenderNode$", "-test.count=1")
	cmd.Env = append(os.Environ(), envSenderEcho+"="+pidString(a.echo), envSenderWriter+"="+pidString(a.writer))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &senderChild{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	c.out.Buffer(make([]byte, 64<<10), 16<<20)
	if line, err := c.line(); err != nil || line != "ready" {
		_ = c.in.Close()
		_ = c.cmd.Wait()
		return nil, fmt.Errorf("sender child: %q, %v", line, err)
	}
	return c, nil
}

// pidString is "address|id", the child's form of a PID.
func pidString(p *actor.PID) string { return p.Address + "|" + p.Id }

func (c *senderChild) line() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return c.out.Text(), nil
}

// run runs one slice of a cell in the child.
func (c *senderChild) run(cell string, senders int, d time.Duration) error {
	if _, err := fmt.Fprintf(c.in, "run %s %d %s\n", cell, senders, d); err != nil {
		return err
	}
	line, err := c.line()
	if err != nil {
		return err
	}
	if line != "ok" {
		return errors.New(line)
	}
	return nil
}

// report returns the child's figures by cell.
func (c *senderChild) report() (map[string]cellSummary, error) {
	if _, err := fmt.Fprintln(c.in, "report"); err != nil {
		return nil, err
	}
	line, err := c.line()
	if err != nil {
		return nil, err
	}
	var m map[string]cellSummary
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return nil, fmt.Errorf("sender child's report %q: %w", line, err)
	}
	return m, nil
}

// stop tells the child to quit and waits for it.
func (c *senderChild) stop() error {
	_, _ = fmt.Fprintln(c.in, "quit")
	_ = c.in.Close()
	return c.cmd.Wait()
}

// TestRemoteSenderNode is node B of BenchmarkRemoteAppendsSplit when
// started by it (it skips otherwise): it reads commands from stdin and
// answers on stdout (see senderChild).
func TestRemoteSenderNode(t *testing.T) {
	echo, writer := os.Getenv(envSenderEcho), os.Getenv(envSenderWriter)
	if echo == "" || writer == "" {
		t.Skip("node B of BenchmarkRemoteAppendsSplit; runs only as its child")
	}
	pid := func(s string) *actor.PID {
		addr, id, _ := strings.Cut(s, "|")
		return actor.NewPID(addr, id)
	}
	n := startSenderNode(pid(echo), pid(writer))
	defer n.Close()
	ops := map[string]func(int, int) error{}
	for _, s := range []int{1, 64} {
		ops[fmt.Sprintf("bare%d", s)] = n.bareOp
		ops[fmt.Sprintf("remote%d", s)] = n.remoteOp
	}
	ctx := context.Background()
	for _, op := range ops {
		if _, err := runCell(ctx, 8, 100*time.Millisecond, op); err != nil {
			t.Fatalf("warm-up: %v", err)
		}
	}
	fmt.Println("ready")
	res := map[string]*cellResult{}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 4 && f[0] == "run":
			fmt.Println(childRun(ctx, ops, res, f[1], f[2], f[3]))
		case len(f) == 1 && f[0] == "report":
			sums := map[string]cellSummary{}
			for name, r := range res {
				sums[name] = r.summary()
			}
			b, err := json.Marshal(sums)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Println(string(b))
		case len(f) == 1 && f[0] == "quit":
			return
		default:
			t.Fatalf("unknown command %q", in.Text())
		}
	}
}

// childRun runs one slice of a cell in the child and says "ok" or why not.
func childRun(ctx context.Context, ops map[string]func(int, int) error, res map[string]*cellResult, cell, senders, dur string) string {
	op := ops[cell]
	var n int
	d, err := time.ParseDuration(dur)
	if err == nil {
		_, err = fmt.Sscan(senders, &n)
	}
	if err != nil || op == nil {
		return fmt.Sprintf("error: bad run %s %s %s: %v", cell, senders, dur, err)
	}
	r, err := runCell(ctx, n, d, op)
	if err != nil {
		return "error: " + err.Error()
	}
	if res[cell] == nil {
		res[cell] = &cellResult{}
	}
	res[cell].merge(r)
	return "ok"
}

// The split benchmark's plumbing works (and runs under -race, since each
// process starts one remote): node B in a child process appends to node
// A's store and reaches its echo actor, and reports every append it made,
// all of them in the store.
func TestRemoteSplitPlumbing(t *testing.T) {
	a, err := startStoreNode(actors.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	}()
	child, err := startSenderChild(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{"bare1", "remote1", "bare64", "remote64"} {
		if err := child.run(cell, 1, 50*time.Millisecond); err != nil {
			t.Fatalf("%s: %v", cell, err)
		}
	}
	if err := child.run("nosuchcell", 1, time.Millisecond); err == nil {
		t.Fatal("the child ran an unknown cell")
	}
	rep, err := child.report()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := a.store.Stats()
	if err != nil {
		t.Fatal(err)
	}
	appended := 0
	for _, cell := range []string{"bare1", "remote1", "bare64", "remote64"} {
		s := rep[cell]
		if s.Ops == 0 || s.P50 <= 0 {
			t.Fatalf("%s: %+v", cell, s)
		}
		if strings.HasPrefix(cell, "remote") {
			appended += s.Ops
		}
	}
	// The warm-up appended too: at least the reported appends are there.
	if st.Events < appended {
		t.Fatalf("store holds %d events, node B reported %d appends", st.Events, appended)
	}
}
