package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/partition"
	"github.com/batpak-go/batpak/storage"
)

// The -cluster story runs in a child process built without the race
// detector: protoactor-go cannot run several remotes in one process under
// -race (remote.Start writes gRPC's global logger, cluster gossip shares
// one rand.Rand; see remoting/doc.go), and this test binary may have it on.

var (
	demoBinOnce sync.Once
	demoBinDir  string // removed by TestMain
	demoBin     string
	demoBinErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demoBinDir != "" {
		os.RemoveAll(demoBinDir)
	}
	os.Exit(code)
}

// plainDemo builds the demo without -race (once per test binary) and
// returns its path.
func plainDemo(t *testing.T) string {
	t.Helper()
	demoBinOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		demoBinDir, err = os.MkdirTemp("", "batpak-demo-bin-")
		if err != nil {
			demoBinErr = err
			return
		}
		demoBin = filepath.Join(demoBinDir, "demo")
		if runtime.GOOS == "windows" {
			demoBin += ".exe"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a cold cache on a busy machine
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", demoBin, ".")
		cmd.Env = append(os.Environ(), "GOFLAGS="+withoutRace(os.Getenv("GOFLAGS")))
		if out, err := cmd.CombinedOutput(); err != nil {
			demoBinErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, demoBinErr)
	return demoBin
}

// withoutRace drops -race from GOFLAGS.
func withoutRace(flags string) string {
	var keep []string
	for _, f := range strings.Fields(flags) {
		if f != "-race" && f != "-race=true" {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// runClusterDemo runs `demo -cluster -dir dir` and returns what it
// printed on stdout; it must print nothing on stderr.
func runClusterDemo(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, plainDemo(t), "-cluster", "-dir", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	require.Empty(t, stderr.String(), "the members' protoactor log lines are dropped")
	return stdout.String()
}

// durations matches the measured durations the demo prints.
var durations = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s)\b`)

// The cluster story, as printed with its timings replaced by <t>: it is
// the same at every run.
const clusterGolden = `cluster: 3 members in one process (node-a, node-b, node-c), each its own actor system and loopback remote, joined through protoactor's in-memory test provider; data in <dir>/cluster
6 partitions, each a batpak store on its owner: p0 node-a, p1 node-b, p2 node-c, p3 node-a, p4 node-b, p5 node-c; an entity's partition is PartitionOf(entity) = FNV-1a 64 of its name mod 6
members joined in <t> (protoactor's StartMember waits 1 s); each sees all 6 partitions available
node-a placed order/a-1 (p1 on node-b, seq 0), order/a-2 (p4 on node-b, seq 0), order/a-3 (p5 on node-c, seq 0), order/a-4 (p4 on node-b, seq 1)
node-b placed order/b-1 (p4 on node-b, seq 2), order/b-2 (p1 on node-b, seq 1), order/b-3 (p0 on node-a, seq 0), order/b-4 (p3 on node-a, seq 0)
node-c placed order/c-1 (p1 on node-b, seq 2), order/c-2 (p2 on node-c, seq 0), order/c-3 (p3 on node-a, seq 1), order/c-4 (p2 on node-c, seq 1)
node-b read node-a's orders back from their partitions: order/a-1 sku-1 x2, order/a-2 sku-2 x3, order/a-3 sku-3 x1, order/a-4 sku-1 x2
node-c read node-b's orders back from their partitions: order/b-1 sku-1 x2, order/b-2 sku-2 x3, order/b-3 sku-3 x1, order/b-4 sku-1 x2
node-a read node-c's orders back from their partitions: order/c-1 sku-1 x2, order/c-2 sku-2 x3, order/c-3 sku-3 x1, order/c-4 sku-1 x2
node-c's batch of order/c-7 and its reservation on stock/sku-3 (names that hash together: both p5 on node-c): written together, seq 1 and 2
node-a's batch of another reservation on stock/sku-3 and order/c-7 again, expected new: refused whole at item 1 (ErrVersionConflict); stock/sku-3 still has 1 event
node-a's batch of order/a-9 (p3 on node-a) and mail/a-9 (p4 on node-b): refused before anything was sent, ErrCrossPartitionBatch (partitions [3 4]); order/a-9 has 0 events
saga of order/c-2 (p2 on node-c): node-a reserves its stock on stock/sku-2 (p4 on node-b), node-b queues its mail on mail/c-2 (p5 on node-c), each caused by the step before, all in the order's correlation
node-c reads it by correlation, from all 6 partitions at once (scatter-gather): 3 events, each partition's in its own sequence order, across partitions by event time (TimestampUS, ties to the lower partition), not a causal order:
  p2 seq=0  order/c-2    shop.order-placed    cause=-
  p4 seq=3  stock/sku-2  shop.stock-reserved  cause=order/c-2
  p5 seq=3  mail/c-2     shop.mail-queued     cause=stock/sku-2
node-b stops (Close: it leaves the cluster, its stores close) while node-a reads order/a-1 (p1 on node-b) in a loop
node-a's read of p1 on node-b answered ErrPartitionUnavailable <t> after the stop began (no request timeout)
node-a goes on: order/a-5 (p5 on node-c, seq 4); order/a-6 (p2 on node-c, seq 2)
node-c goes on: order/c-5 (p3 on node-a, seq 2); order/c-6 (p4 on node-b) refused in <t>: batpak partition: partition 4 (owner "node-b") unavailable: no live member of the cluster is named "node-b"
node-a reads the saga of order/c-2 by correlation: ErrPartitionUnavailable for partitions [1 4], and no partial answer
node-b restarts on its directory, with a new actor system and port (every member sees it again <t> after Start began): p1 holds its 3 events as before, hash chains verified (3 streams); p4 holds its 4 events as before, hash chains verified (4 streams)
appends resume: node-c places order/c-6 again (p4 on node-b, seq 4)
node-a reads the saga of order/c-2 by correlation again: 3 events
summary per partition (on its owner: Stats and Verify of the local store):
  p0 node-a: 1 event in 1 stream, hash chains verified
  p1 node-b: 3 events in 3 streams, hash chains verified
  p2 node-c: 3 events in 3 streams, hash chains verified
  p3 node-a: 3 events in 3 streams, hash chains verified
  p4 node-b: 5 events in 5 streams, hash chains verified
  p5 node-c: 5 events in 5 streams, hash chains verified
20 events in 6 partitions on 3 members; node-b's Query over every partition finds the 17 orders acknowledged; node-b stopped and restarted once, nothing lost
`

// TestClusterDemo runs `demo -cluster` twice in one directory: each run
// tells the same story (appends from every member routed to their
// partitions and read back from another, an atomic batch in one partition
// and a refused cross-partition one, a scatter read in its documented
// order, a member stopped: ErrPartitionUnavailable, not a timeout, while
// the others go on; restarted on its directory with its data, appends
// resume), starts fresh, and leaves the partitions it tells of on disk.
func TestClusterDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for run := range 2 {
		out := runClusterDemo(t, dir)
		masked := durations.ReplaceAllString(strings.ReplaceAll(out, dir, "<dir>"), "<t>")
		require.Equal(t, clusterGolden, masked, "run %d:\n%s", run+1, out)
		for _, m := range durations.FindAllString(out, -1) {
			_, err := time.ParseDuration(m)
			require.NoError(t, err)
		}
	}
	// What the summary says is on disk, partition by partition.
	want := []int{1, 3, 3, 3, 5, 5}
	for k, owner := range clusterOwners {
		pdir := filepath.Join(dir, clusterDir, owner, partition.Identity(k))
		meta, err := os.ReadFile(filepath.Join(pdir, "partition.json"))
		require.NoError(t, err)
		require.Contains(t, string(meta), fmt.Sprintf(`"partitions":6,"partition":%d`, k))
		e, err := storage.Open(filepath.Join(pdir, "store"), storage.Options{})
		require.NoError(t, err)
		rep, err := e.Verify()
		require.NoError(t, err)
		require.Equal(t, want[k], rep.Events, "p%d", k)
		all, err := e.Query(storage.Filter{})
		require.NoError(t, err)
		for _, ev := range all {
			require.Equal(t, k, partition.PartitionOf(ev.Coordinate.Entity, len(clusterOwners)), "%s in p%d", ev.Coordinate.Entity, k)
		}
		require.NoError(t, e.Close())
	}
}
