package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

var (
	rounds    = flag.Int("torture.rounds", defaultRounds, "kill -9 rounds (also BATPAK_TORTURE_ROUNDS)")
	seedFlag  = flag.Uint64("torture.seed", 0, "seed (0: random; also BATPAK_TORTURE_SEED)")
	maxKillMS = 150
)

func envOr(name string, v uint64) uint64 {
	if s := os.Getenv(name); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
	}
	return v
}

// TestKill9Torture runs the torture program against one data directory
// again and again, killing it at a random moment with os.Process.Kill (a
// hard kill: SIGKILL on Unix, TerminateProcess on Windows), and checks
// after every kill that every acknowledged event is there, unchanged; that
// no batch is partly visible; that every hash chain verifies; that global
// sequences are unique and increasing; and that the store takes appends.
// Half the rounds use 64 KiB segments, so kills land in rotations and
// footer writes too; one round in four may kill during recovery.
func TestKill9Torture(t *testing.T) {
	n := int(envOr("BATPAK_TORTURE_ROUNDS", uint64(*rounds)))
	seed := envOr("BATPAK_TORTURE_SEED", *seedFlag)
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d, %d rounds (rerun with -torture.seed=%d or BATPAK_TORTURE_SEED)", seed, n, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	work := t.TempDir()
	bin := filepath.Join(work, "torture")
	if runtime.GOOS == "windows" {
		bin += ".exe" // what exec looks for
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	dir, side := filepath.Join(work, "data"), filepath.Join(work, "receipts")

	acked := 0
	for round := 0; round < n; round++ {
		segment := int64(0)
		if round%2 == 1 {
			segment = 64 << 10
		}
		cmd := exec.Command(bin, "-dir", dir, "-side", side, "-seed", fmt.Sprint(rng.Uint64()), "-segment", fmt.Sprint(segment))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// One round in four kills at any moment from the start, recovery
		// included; the others once the store is open and appends flow. The
		// random moment of the kill is what is under test, not a wait.
		if round%4 != 3 {
			line, _ := bufio.NewReader(out).ReadString('\n')
			require.Equal(t, "ready\n", line, "round %d: the torture program did not start", round)
		}
		time.Sleep(time.Duration(10+rng.IntN(maxKillMS)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		err = cmd.Wait()
		require.Error(t, err, "round %d: the torture program should have been killed, not exited", round)
		acked = check(t, round, dir, side)
	}
	t.Logf("%d rounds, %d acknowledged events checked after the last, 0 lost", n, acked)
}

type ack struct {
	id      messages.ID
	seq     uint64
	version uint64
	hash    string
}

// readSide parses the receipts the torture program recorded.
func readSide(t *testing.T, path string) (singles []ack, batches [][]ack) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		parse := func(f []string) ack {
			var a ack
			b, err := hex.DecodeString(f[0])
			require.NoError(t, err)
			copy(a.id[:], b)
			a.seq, _ = strconv.ParseUint(f[1], 10, 64)
			a.version, _ = strconv.ParseUint(f[2], 10, 64)
			a.hash = f[3]
			return a
		}
		switch fields[0] {
		case "S":
			singles = append(singles, parse(fields[1:]))
		case "B":
			k, _ := strconv.Atoi(fields[1])
			var b []ack
			for i := 0; i < k; i++ {
				b = append(b, parse(fields[2+4*i:]))
			}
			batches = append(batches, b)
		}
	}
	require.NoError(t, sc.Err())
	return singles, batches
}

func check(t *testing.T, round int, dir, side string) int {
	t.Helper()
	singles, batches := readSide(t, side)
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err, "round %d: reopen after the kill", round)
	defer func() { require.NoError(t, e.Close()) }()
	all, err := e.Query(storage.Filter{})
	require.NoError(t, err)
	stored := make(map[messages.ID]*messages.Event, len(all))
	batchItems := map[messages.ID][]messages.Event{}
	for i := range all {
		ev := &all[i]
		if i > 0 {
			require.Greater(t, ev.Sequence, all[i-1].Sequence, "round %d: sequences unique and increasing", round)
		}
		stored[ev.ID] = ev
		if !ev.BatchID.IsZero() {
			batchItems[ev.BatchID] = append(batchItems[ev.BatchID], *ev)
		}
	}
	n := 0
	same := func(a ack) {
		ev := stored[a.id]
		require.NotNil(t, ev, "round %d: acknowledged event %x is missing", round, a.id)
		require.Equal(t, a.seq, ev.Sequence, "round %d: sequence of %x", round, a.id)
		require.Equal(t, a.version, ev.Version, "round %d: version of %x", round, a.id)
		require.Equal(t, a.hash, ev.Hash.String(), "round %d: hash of %x", round, a.id)
		n++
	}
	for _, a := range singles {
		same(a)
	}
	for _, b := range batches {
		for _, a := range b {
			same(a)
		}
	}
	for id, evs := range batchItems {
		var want int
		_, err := fmt.Sscanf(string(evs[0].Payload), "0/%d", &want)
		require.NoError(t, err, "round %d: batch %s starts with item 0", round, id)
		require.Len(t, evs, want, "round %d: batch %s is partly visible", round, id)
		for i := 1; i < len(evs); i++ {
			require.Equal(t, evs[i-1].Sequence+1, evs[i].Sequence, "round %d: batch %s is contiguous", round, id)
		}
	}
	_, err = e.Verify()
	require.NoError(t, err, "round %d: hash chains", round)
	_, err = e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "check", Scope: "torture"}, Kind: messages.MustKind(1, 1)})
	require.NoError(t, err)
	require.NoError(t, e.Commit(), "round %d: the store takes appends", round)
	return n
}
