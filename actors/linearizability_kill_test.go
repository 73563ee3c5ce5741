package actors_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// The environment that makes TestLinearizabilityKillChild the process
// under test.
const (
	lzChildDir      = "BATPAK_LINZ_CHILD_DIR"
	lzChildSeed     = "BATPAK_LINZ_CHILD_SEED"
	lzChildPrefix   = "BATPAK_LINZ_CHILD_PREFIX"
	lzChildEntities = "BATPAK_LINZ_CHILD_ENTITIES"
	lzChildClients  = "BATPAK_LINZ_CHILD_CLIENTS"
	lzChildCrashes  = "BATPAK_LINZ_CHILD_CRASHES"
)

// Linearizability across SIGKILLs: the test binary runs again as a child
// (TestLinearizabilityKillChild) with clients against a real directory,
// streaming its history to its stdout; the test kills it with SIGKILL
// after a random number of answers, reopens the directory with
// storage.Open, reads every entity (operations of the history too), and
// checks the whole history so far, every request without an answer taken
// as "may or may not have happened before the kill". The same directory
// takes every round, half of them with writer panics too (and half of those
// killed right after an answer ErrWriterCrashed, while the restarted writer
// cuts what the crashed one wrote). BATPAK_LINZ_KILLS sets the number of
// kills (default 5).
func TestLinearizabilityProcessKills(t *testing.T) {
	seed := lzSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	kills := int(lzEnv("BATPAK_LINZ_KILLS", 5))
	dir := filepath.Join(t.TempDir(), "data")
	entities := lzEntities(3 + rng.IntN(2))
	clients := 8 + rng.IntN(9)
	var h []lzEvent
	base := 0 // ids of earlier rounds' calls are below it
	for round := 0; round < kills; round++ {
		start, killAt := len(h), 20+rng.IntN(300)
		crashes := round%2 == 1
		// In half the rounds with writer panics, the kill comes as soon as
		// an answer says "crashed" (once half the answers are in): while
		// the restarted writer cuts what the crashed one wrote.
		onCrash := crashes && rng.IntN(2) == 0
		stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
		require.NoError(t, err)
		cmd := exec.Command(os.Args[0], "-test.run=^TestLinearizabilityKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			lzChildDir+"="+dir, fmt.Sprintf("%s=%d", lzChildSeed, rng.Uint64()), fmt.Sprintf("%s=k%d-", lzChildPrefix, round),
			lzChildEntities+"="+strings.Join(entities, ","), fmt.Sprintf("%s=%d", lzChildClients, clients),
			fmt.Sprintf("%s=%t", lzChildCrashes, crashes))
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill() }) // if the test fails before the kill

		events := make(chan lzEvent, 1024)
		var parseErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			defer close(events)
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Bytes()
				if len(line) == 0 || line[0] != '{' {
					continue // not ours (the test framework's output)
				}
				var ev lzEvent
				if err := json.Unmarshal(line, &ev); err != nil {
					parseErr = fmt.Errorf("line %.120q...: %w", line, err)
					continue // a line cut by the kill
				}
				events <- ev
			}
		})
		take := func(ev lzEvent) {
			ev.ID += base
			h = append(h, ev)
		}
		returns, killed := 0, false
		guard := time.After(2 * time.Minute)
		for !killed {
			select {
			case ev, ok := <-events:
				if !ok {
					cmd.Wait()
					b, _ := os.ReadFile(stderr.Name())
					t.Fatalf("round %d: the child ended before the kill, after %d answers:\n%s", round, returns, b)
				}
				take(ev)
				if ev.T == "return" {
					returns++
				}
				crashed := ev.T == "return" && ev.Return.Result == lzNotWritten
				if returns >= killAt || (onCrash && crashed && returns >= killAt/2) {
					require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
					killed = true
				}
			case <-guard:
				cmd.Process.Kill()
				t.Fatalf("round %d: the child gave %d answers in 2 minutes, %d expected", round, returns, killAt)
			}
		}
		for ev := range events { // what it wrote before it died
			take(ev)
		}
		wg.Wait()
		require.Error(t, cmd.Wait(), "round %d: the child was killed", round)
		stderr.Close()
		if parseErr != nil {
			t.Logf("round %d: %v", round, parseErr) // only the last line can be cut
		}
		open := map[int]bool{}
		for _, ev := range h[start:] {
			base = max(base, ev.ID+1)
			open[ev.ID] = ev.T == "call"
		}
		pending := 0
		for _, p := range open {
			if p {
				pending++
			}
		}
		h = append(h, lzEvent{T: "end"})

		// Reopen and read every entity: the final state, as operations.
		e, err := storage.Open(dir, storage.Options{})
		require.NoError(t, err, "round %d: reopen after SIGKILL", round)
		for _, en := range entities {
			id := base
			base++
			h = append(h, lzEvent{T: "call", ID: id, Client: clients, Call: &lzCall{Kind: lzReadOp, Entity: en, Note: "after kill"}})
			evs, err := e.Stream(lzCoord(en), 1)
			require.NoError(t, err)
			r := &lzReturn{Result: lzOK}
			for _, ev := range evs {
				r.Events = append(r.Events, lzRead{Tag: string(ev.Payload), ID: lzID(ev.ID), Version: ev.Version})
			}
			h = append(h, lzEvent{T: "return", ID: id, Client: clients, Return: r})
		}
		_, err = e.Verify()
		require.NoError(t, err, "round %d: hash chains", round)
		require.NoError(t, e.Close())

		name := fmt.Sprintf("kill %d", round)
		t.Logf("%s: after %d answers, %d requests unanswered (writer panics: %t, kill on a crash: %t); history so far: %s",
			name, returns, pending, crashes, onCrash, lzStats(h))
		lzCheck(t, name, h)
	}
}

// TestLinearizabilityKillChild is the process TestLinearizabilityProcessKills
// kills; it runs only with that test's environment. Its clients run until
// the kill, streaming every call and answer to stdout as a JSON line.
func TestLinearizabilityKillChild(t *testing.T) {
	dir := os.Getenv(lzChildDir)
	if dir == "" {
		t.Skip("the process under SIGKILL of TestLinearizabilityProcessKills")
	}
	seed := lzEnv(lzChildSeed, 1)
	clients := int(lzEnv(lzChildClients, 8))
	crashes := os.Getenv(lzChildCrashes) == "true"
	rng := rand.New(rand.NewPCG(seed, 1))
	cfg := actors.Config{Dir: dir}
	if crashes {
		cfg.Policy = supervision.Bounded(100000, time.Minute)
	}
	sys := lzQuietSystem()
	store, err := actors.Spawn(sys, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: spawn:", err)
		os.Exit(2)
	}
	log := &lzLog{out: os.Stdout}
	if crashes {
		var mu sync.Mutex
		next := 5 + rng.IntN(35)
		log.onReturn = func(n int) {
			mu.Lock()
			defer mu.Unlock()
			if n >= next {
				next = n + 5 + rng.IntN(35)
				sys.Root.Send(store.Writer(), &faults.Panic{Reason: "linearizability: a panic before the kill"})
			}
		}
	}
	w := &lzWorkload{store: store, log: log, entities: strings.Split(os.Getenv(lzChildEntities), ","),
		prefix: os.Getenv(lzChildPrefix), timeout: 30 * time.Second}
	w.run(clients, 1<<30, rng.Uint64())
}
