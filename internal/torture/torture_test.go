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
	log := readSide(t, side)
	conditional := 0
	for _, b := range log.batches {
		for _, a := range b {
			if a.expected >= 0 {
				conditional++
				break
			}
		}
	}
	t.Logf("%d rounds, %d acknowledged events checked after the last, 0 lost; %d conditional batches acknowledged, %d refused with a version conflict, none of them stored",
		n, acked, conditional, len(log.refused))
	require.NotZero(t, conditional, "the workload has conditional batches")
	require.NotEmpty(t, log.refused, "the workload has refused conditional batches")
}

type ack struct {
	id       messages.ID
	seq      uint64
	version  uint64
	hash     string
	expected int64 // of a conditional batch's item: its Exactly version, -1 for Any
}

// sideLog is what the torture program recorded: acknowledged singles and
// batches (conditional ones included, with each item's expected version)
// and the event ids of the batches refused with a version conflict.
type sideLog struct {
	singles, batches [][]ack
	refused          [][]messages.ID
}

// wellFormed reports whether a side-file line has the fields its kind and
// count say: "S" 4 after the tag, "B" 4 per item, "C" 5 per item, "X" 1
// per id.
func wellFormed(fields []string) bool {
	if len(fields) == 0 {
		return false
	}
	if fields[0] == "S" {
		return len(fields) == 5
	}
	per := map[string]int{"B": 4, "C": 5, "X": 1}[fields[0]]
	if per == 0 || len(fields) < 2 {
		return false
	}
	k, err := strconv.Atoi(fields[1])
	return err == nil && k >= 0 && len(fields) == 2+per*k
}

// readSide parses the receipts the torture program recorded.
func readSide(t *testing.T, path string) (log sideLog) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return log
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		id := func(f string) messages.ID {
			var id messages.ID
			b, err := hex.DecodeString(f)
			require.NoError(t, err)
			copy(id[:], b)
			return id
		}
		parse := func(f []string) ack {
			a := ack{id: id(f[0]), hash: f[3], expected: -1}
			a.seq, _ = strconv.ParseUint(f[1], 10, 64)
			a.version, _ = strconv.ParseUint(f[2], 10, 64)
			if len(f) > 4 {
				a.expected, _ = strconv.ParseInt(f[4], 10, 64)
			}
			return a
		}
		k := 0
		if len(fields) > 1 {
			k, _ = strconv.Atoi(fields[1])
		}
		if !wellFormed(fields) {
			continue // a line a kill cut short (see endTornLine): not a record
		}
		switch fields[0] {
		case "S":
			log.singles = append(log.singles, []ack{parse(fields[1:])})
		case "B", "C":
			width := 4
			if fields[0] == "C" {
				width = 5
			}
			var b []ack
			for i := 0; i < k; i++ {
				b = append(b, parse(fields[2+width*i:][:width]))
			}
			log.batches = append(log.batches, b)
		case "X":
			var ids []messages.ID
			for i := 0; i < k; i++ {
				ids = append(ids, id(fields[2+i]))
			}
			log.refused = append(log.refused, ids)
		}
	}
	require.NoError(t, sc.Err())
	return log
}

func check(t *testing.T, round int, dir, side string) int {
	t.Helper()
	log := readSide(t, side)
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
	for _, b := range append(log.singles, log.batches...) {
		for _, a := range b {
			same(a)
			if a.expected >= 0 {
				require.Equal(t, uint64(a.expected)+1, a.version, "round %d: conditional item %x landed where its condition held", round, a.id)
			}
		}
	}
	for _, ids := range log.refused {
		for _, id := range ids {
			require.Nil(t, stored[id], "round %d: item %x of a batch refused with a version conflict is stored", round, id)
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

// A line a kill cut short, and a line glued to it by the next round, are
// skipped: the side file's reader never panics on them and keeps the
// well-formed records around them.
func TestReadSideSkipsTornLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "side")
	id := strings.Repeat("ab", 16)
	rec := id + " 3 1 " + strings.Repeat("cd", 32)
	content := "S " + rec + "\n" +
		"C 2 " + rec + " 0 " + id + " 4" + // torn: the second item is cut short, no newline
		"\n" + "B 1 " + rec + "\n" + "X 1 " + id + "\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	log := readSide(t, path)
	require.Len(t, log.singles, 1)
	require.Len(t, log.batches, 1, "the torn C line is skipped, the B line kept")
	require.Len(t, log.refused, 1)
}
