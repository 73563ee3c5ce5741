package actors_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// Linearizability of the store, checked with porcupine against the model
// in linearizability_model_test.go: concurrent clients append (expected
// versions, idempotency keys, retries, re-sends, atomic batches) and read
// a few entities, in conditional batches too (each item's expected
// version checked after the earlier items on its entity, some stale on
// purpose, some over two entities); every call and answer is recorded in real-time order;
// the history must have a linearization per entity. Three runs: plain,
// with the writer panicking at random moments (restarted by its
// supervisor), and with the process SIGKILLed and the directory reopened
// (linearizability_kill_test.go).
//
// Knobs (environment): BATPAK_LINZ_SEED (a seed to replay),
// BATPAK_LINZ_ROUNDS (rounds of each in-process run, default 6),
// BATPAK_LINZ_KILLS (kills of the process run, default 5),
// BATPAK_LINZ_OUT (where a failure's visualization goes).

// lzEnv returns the environment variable name as a number, or def.
func lzEnv(name string, def uint64) uint64 {
	if s := os.Getenv(name); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// lzSeed returns the seed of a run and logs how to replay it.
func lzSeed(t *testing.T) uint64 {
	seed := lzEnv("BATPAK_LINZ_SEED", 0)
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (replay with BATPAK_LINZ_SEED=%d)", seed, seed)
	return seed
}

// lzStats counts the outcomes of a history, for the log.
func lzStats(h []lzEvent) string {
	n := map[string]int{}
	calls := map[int]*lzCall{}
	for _, ev := range h {
		switch ev.T {
		case "call":
			calls[ev.ID] = ev.Call
		case "return":
			n[ev.Return.Result]++
			if len(ev.Return.Receipts) > 0 && ev.Return.Receipts[0].Replayed {
				n["replayed"]++
			}
			c := calls[ev.ID]
			if c == nil || c.Kind != lzBatch || !slices.ContainsFunc(c.Items, func(it lzItem) bool { return !it.Expect.IsAny() }) {
				continue
			}
			n["conditional "+ev.Return.Result]++
			if ev.Return.Result == lzConflict && slices.ContainsFunc(c.Items, func(it lzItem) bool { return it.Entity != c.Items[0].Entity }) {
				n["refused across"]++
			}
		}
	}
	return fmt.Sprintf("%d answers: %d ok (%d replays), %d conflicts, %d not written, %d unknown, %d errors; "+
		"conditional batches: %d written, %d refused (%d over several entities)",
		n[lzOK]+n[lzConflict]+n[lzNotWritten]+n[lzUnknown]+n[lzError], n[lzOK], n["replayed"],
		n[lzConflict], n[lzNotWritten], n[lzUnknown], n[lzError],
		n["conditional "+lzOK], n["conditional "+lzConflict], n["refused across"])
}

// lzRound is one in-process run: a store in a fresh directory, the
// workload, then the check.
type lzRound struct {
	name    string
	seed    uint64
	crashes bool // send the writer faults.Panic at random moments
}

func (r lzRound) run(t *testing.T) {
	rng := rand.New(rand.NewPCG(r.seed, 1))
	clients, entities := 8+rng.IntN(9), 3+rng.IntN(2)
	cfg := actors.Config{Dir: t.TempDir()}
	if r.crashes {
		cfg.Policy = supervision.Bounded(100000, time.Minute)
	}
	sys := lzQuietSystem()
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, cfg)
	require.NoError(t, err)
	defer store.Close(context.Background())

	log := &lzLog{}
	panics := 0
	if r.crashes {
		// A panic after every 5-40 answers, counted, not timed.
		var mu sync.Mutex
		next := 5 + rng.IntN(35)
		log.onReturn = func(n int) {
			mu.Lock()
			defer mu.Unlock()
			if n >= next {
				panics++
				next = n + 5 + rng.IntN(35)
				sys.Root.Send(store.Writer(), &faults.Panic{Reason: fmt.Sprintf("linearizability: panic %d", panics)})
			}
		}
	}
	w := &lzWorkload{store: store, log: log, entities: lzEntities(entities), prefix: "", timeout: 30 * time.Second}
	w.run(clients, 360/clients, rng.Uint64())
	h := log.history()
	t.Logf("%s: seed %d, %d clients, %d entities, %s, %d writer panics, %d restarts",
		r.name, r.seed, clients, entities, lzStats(h), panics, store.Restarts())

	// The store is still working (an unknown outcome from a stopped writer
	// would make the check vacuous).
	_, err = store.Append(context.Background(), &messages.Append{Coordinate: lzCoord("lz/after"), Kind: lzKind})
	require.NoError(t, err, "%s: the store takes appends after the run", r.name)
	if r.crashes {
		require.Positive(t, store.Restarts(), "%s: the writer was restarted", r.name)
	}
	lzCheck(t, r.name, h)
}

func lzRounds(t *testing.T, crashes bool) {
	rng := rand.New(rand.NewPCG(lzSeed(t), 0))
	n := int(lzEnv("BATPAK_LINZ_ROUNDS", 6))
	for i := 0; i < n; i++ {
		lzRound{name: fmt.Sprintf("round %d", i), seed: rng.Uint64(), crashes: crashes}.run(t)
	}
}

// Concurrent appends and reads through the store are linearizable per
// entity: a version conflict, an idempotent replay and a read answer only
// from committed state, consistently with the order of real time.
func TestLinearizabilityPlain(t *testing.T) {
	lzRounds(t, false)
}

// The same with the writer panicking at random moments and restarted by
// its supervisor: an append answered messages.ErrWriterCrashed never took
// effect, and everything answered survives the restarts.
func TestLinearizabilityWriterCrashes(t *testing.T) {
	lzRounds(t, true)
}
