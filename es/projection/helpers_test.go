package projection_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

var (
	deposited = messages.MustKind(1, 1)
	noted     = messages.MustKind(1, 2)
)

// tally is the test projections' state: deposits per account and in all.
type tally struct {
	Count     int            `msgpack:"count"`
	Sum       int64          `msgpack:"sum"`
	PerEntity map[string]int `msgpack:"per_entity"`
	Order     uint64         `msgpack:"order"` // a hash of the order events came in
}

func newTally() tally { return tally{PerEntity: map[string]int{}} }

// applyTally folds a deposit (the payload is a number).
func applyTally(s tally, ev messages.Event) (tally, error) {
	n, err := strconv.ParseInt(string(ev.Payload), 10, 64)
	if err != nil {
		return s, err
	}
	if s.PerEntity == nil {
		s.PerEntity = map[string]int{}
	}
	s.Count++
	s.Sum += n
	s.PerEntity[ev.Coordinate.Entity]++
	s.Order = s.Order*31 + ev.Sequence + 1
	return s, nil
}

var deposits = storage.Filter{EntityPrefix: "acct/", Kinds: []messages.EventKind{deposited}}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actors.SystemLogger(quietLogger()))
}

// openStore spawns a store on dir in a fresh actor system; the cleanup
// closes it (if the test did not).
func openStore(t *testing.T, dir string) *actors.Store {
	t.Helper()
	sys := quietSystem()
	s, err := actors.Spawn(sys, actors.Config{Dir: dir, Policy: supervision.Bounded(5, time.Minute), Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close(context.Background())
		sys.Shutdown()
	})
	return s
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// deposit appends n events from number i on: deposits to acct/0..4 and, in
// between, notes (kind noted) and events of other entities, which the
// deposits filter skips. It returns the last receipt.
func deposit(t *testing.T, s *actors.Store, i, n int) messages.Receipt {
	t.Helper()
	var r messages.Receipt
	for k := i; k < i+n; k++ {
		a := &messages.Append{Coordinate: messages.Coordinate{Entity: fmt.Sprintf("acct/%d", k%5), Scope: "bank"},
			Kind: deposited, Payload: []byte(strconv.Itoa(k))}
		switch k % 7 {
		case 3:
			a.Kind = noted
		case 5:
			a.Coordinate.Entity = fmt.Sprintf("user/%d", k%3)
		}
		var err error
		r, err = s.Append(tctx(t), a)
		require.NoError(t, err)
	}
	return r
}

// replay is the state a fold of the whole log gives.
func replay(t *testing.T, s *actors.Store) (tally, uint64) {
	t.Helper()
	st, next, err := projectionFold(t, s)
	require.NoError(t, err)
	return st, next
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
