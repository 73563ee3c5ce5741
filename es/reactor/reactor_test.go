package reactor_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/es/internal/killtest"
	"github.com/batpak-go/batpak/es/reactor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

var (
	placed   = messages.MustKind(1, 1)
	reserved = messages.MustKind(1, 2)
	mailed   = messages.MustKind(1, 3)
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func openStore(t *testing.T, dir string) *actors.Store {
	t.Helper()
	sys := actor.NewActorSystem(actors.SystemLogger(quietLogger()))
	s, err := actors.Spawn(sys, actors.Config{Dir: dir, Policy: supervision.Bounded(10, time.Minute), Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close(context.Background())
		sys.Shutdown()
	})
	return s
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// The chain: an order placed reserves stock (reactor "stock"), a
// reservation sends a mail (reactor "mail"). Each order n names its stock
// item n%3 and its mail box n.
func spawnChain(t *testing.T, s *actors.Store, dir string, every int) (stock, mail *reactor.Reactor) {
	t.Helper()
	var err error
	stock, err = reactor.Spawn(s, reactor.Config{Name: "stock", Dir: dir, Every: every, Logger: quietLogger(),
		Filter: storage.Filter{EntityPrefix: "order/", Kinds: []messages.EventKind{placed}},
		React: func(ev messages.Event) ([]reactor.Reaction, error) {
			n := strings.TrimPrefix(ev.Coordinate.Entity, "order/")
			return []reactor.Reaction{{Name: "reserve", Kind: reserved, Payload: []byte(n),
				Coordinate: messages.Coordinate{Entity: "stock/" + n, Scope: "shop"}}}, nil
		}})
	require.NoError(t, err)
	mail, err = reactor.Spawn(s, reactor.Config{Name: "mail", Dir: dir, Every: every, Logger: quietLogger(),
		Filter: storage.Filter{EntityPrefix: "stock/", Kinds: []messages.EventKind{reserved}},
		React: func(ev messages.Event) ([]reactor.Reaction, error) {
			return []reactor.Reaction{{Name: "confirm", Kind: mailed, Payload: ev.Payload,
				Coordinate: messages.Coordinate{Entity: "mail/" + string(ev.Payload), Scope: "shop"}}}, nil
		}})
	require.NoError(t, err)
	t.Cleanup(func() { stock.Stop(context.Background()); mail.Stop(context.Background()) })
	return stock, mail
}

func placeOrders(t *testing.T, s *actors.Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		a := &messages.Append{Coordinate: messages.Coordinate{Entity: fmt.Sprintf("order/%d", i), Scope: "shop"},
			Kind: placed, IdempotencyKey: messages.KeyOf("test-order", fmt.Sprint(i))}
		_, err := s.Append(tctx(t), a)
		for errors.Is(err, messages.ErrWriterCrashed) { // keyed: a retry is safe
			_, err = s.Append(tctx(t), a)
		}
		require.NoError(t, err)
	}
}

var (
	orderTriggers = storage.Filter{EntityPrefix: "order/", Kinds: []messages.EventKind{placed}}
	stockTriggers = storage.Filter{EntityPrefix: "stock/", Kinds: []messages.EventKind{reserved}}
)

// settled waits until each reactor (in chain order, with its filter) has
// handled the last trigger in the log: the first has then written all its
// reactions, so the second's triggers are all there, and so on.
func settled(t *testing.T, s *actors.Store, rs []*reactor.Reactor, fs []storage.Filter) {
	t.Helper()
	require.Eventually(t, func() bool {
		for i, r := range rs {
			f := fs[i]
			f.Backward, f.Limit = true, 1
			last, err := s.Query(f)
			if err != nil || len(last) == 1 && r.Position() <= last[0].Sequence {
				return false
			}
		}
		return true
	}, 30*time.Second, 2*time.Millisecond)
}

func settledChain(t *testing.T, s *actors.Store, stock, mail *reactor.Reactor) {
	t.Helper()
	settled(t, s, []*reactor.Reactor{stock, mail}, []storage.Filter{orderTriggers, stockTriggers})
}

// checkChain reads the log back: exactly one reservation per order and one
// mail per reservation, each caused by its trigger and in its correlation,
// and Ancestors walks from each mail back to its order.
func checkChain(t *testing.T, s *actors.Store, orders int) {
	t.Helper()
	byKind := map[messages.EventKind][]messages.Event{}
	for ev, err := range s.Read(storage.Filter{}) {
		require.NoError(t, err)
		ev.Payload = append([]byte(nil), ev.Payload...)
		byKind[ev.Kind] = append(byKind[ev.Kind], ev)
	}
	require.Len(t, byKind[placed], orders)
	require.Len(t, byKind[reserved], orders, "one reservation per order")
	require.Len(t, byKind[mailed], orders, "one mail per reservation")
	byID := map[messages.ID]messages.Event{}
	for _, evs := range byKind {
		for _, ev := range evs {
			byID[ev.ID] = ev
		}
	}
	seenCause := map[messages.ID]bool{}
	for _, m := range byKind[mailed] {
		res, ok := byID[m.CausationID]
		require.True(t, ok)
		require.Equal(t, reserved, res.Kind)
		order, ok := byID[res.CausationID]
		require.True(t, ok)
		require.Equal(t, placed, order.Kind)
		require.Equal(t, order.CorrelationID, m.CorrelationID)
		require.Equal(t, order.ID, order.CorrelationID)
		require.False(t, seenCause[m.CausationID], "two mails for one reservation")
		seenCause[m.CausationID] = true
		require.Equal(t, "order/"+string(m.Payload), order.Coordinate.Entity)
		anc, err := s.Ancestors(m.ID, 0)
		require.NoError(t, err)
		require.Len(t, anc, 2)
		require.Equal(t, []messages.ID{res.ID, order.ID}, []messages.ID{anc[0].ID, anc[1].ID})
	}
}

// Reactions of reactions, three levels deep, while the writer panics every
// 7 appends (the reactions then in flight fail and are retried from the
// Cursor): every reaction exactly once, linked to its trigger.
func TestChainUnderWriterCrashes(t *testing.T) {
	s := openStore(t, t.TempDir())
	stock, mail := spawnChain(t, s, t.TempDir(), 5)
	placeOrders(t, s, 0, 10)
	actorstest.CrashWriterEvery(s, 7, 4)
	placeOrders(t, s, 10, 20)
	settledChain(t, s, stock, mail)
	checkChain(t, s, 30)
	require.Positive(t, s.Restarts())
	require.Equal(t, int64(30), stock.Stats().Triggers)
}

// A reactor spawned again without a checkpoint goes through the whole log:
// every reaction is recognised by its key (replayed), none written twice;
// one spawned again with its checkpoint starts after what it handled.
func TestRestartWritesNothingTwice(t *testing.T) {
	dir, ck := t.TempDir(), t.TempDir()
	s := openStore(t, dir)
	stock, mail := spawnChain(t, s, ck, 1000)
	placeOrders(t, s, 0, 12)
	settledChain(t, s, stock, mail)
	require.NoError(t, stock.Stop(tctx(t)))
	require.NoError(t, mail.Stop(tctx(t)))

	for _, dirOf := range []string{"", ck} {
		stock, mail = spawnChain(t, s, dirOf, 1000)
		placeOrders(t, s, 100+len(dirOf), 3)
		settledChain(t, s, stock, mail)
		if dirOf == "" {
			require.False(t, stock.Recovery().Resumed)
			require.Equal(t, int64(12), stock.Stats().Replayed, "all earlier reactions recognised")
		} else {
			require.True(t, stock.Recovery().Resumed)
			require.Positive(t, stock.Recovery().From)
		}
		require.NoError(t, stock.Stop(tctx(t)))
		require.NoError(t, mail.Stop(tctx(t)))
	}
	checkChain(t, s, 18)
}

// A React error holds the reactor at its trigger and is retried; nothing
// after it is skipped.
func TestReactErrorIsRetried(t *testing.T) {
	s := openStore(t, t.TempDir())
	fails := 3
	r, err := reactor.Spawn(s, reactor.Config{Name: "flaky", Interval: 5 * time.Millisecond, Logger: quietLogger(),
		Filter: storage.Filter{EntityPrefix: "order/"},
		React: func(ev messages.Event) ([]reactor.Reaction, error) {
			if ev.Version == 1 && ev.Coordinate.Entity == "order/1" && fails > 0 {
				fails--
				return nil, fmt.Errorf("not now")
			}
			return []reactor.Reaction{{Kind: reserved, Coordinate: messages.Coordinate{Entity: "stock/" + ev.Coordinate.Entity[6:], Scope: "shop"}}}, nil
		}})
	require.NoError(t, err)
	t.Cleanup(func() { r.Stop(context.Background()) })
	placeOrders(t, s, 0, 3)
	settled(t, s, []*reactor.Reactor{r}, []storage.Filter{{EntityPrefix: "order/"}})
	evs, err := s.Query(storage.Filter{Kinds: []messages.EventKind{reserved}})
	require.NoError(t, err)
	require.Len(t, evs, 3)
	require.Equal(t, int64(3), r.Stats().Failures)
}

func TestBadConfig(t *testing.T) {
	s := openStore(t, t.TempDir())
	_, err := reactor.Spawn(s, reactor.Config{Name: "../x", React: func(messages.Event) ([]reactor.Reaction, error) { return nil, nil }})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, err = reactor.Spawn(s, reactor.Config{Name: "x"})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
}

const killChildDir = "BATPAK_REACTOR_KILL_DIR"

// The chain with the process killed (SIGKILL) while the reactors work:
// the child places 60 orders, then runs both reactors (checkpoints every 3
// triggers); once some mails are out the test kills it, reopens the store,
// spawns the reactors again (they resume from their checkpoints) and
// checks every reaction is there exactly once.
func TestChainAcrossAProcessKill(t *testing.T) {
	dir := t.TempDir()
	killtest.KillWhen(t, "TestReactorKillChild", killChildDir, dir, "mails %d", 15)

	s := openStore(t, filepath.Join(dir, "store"))
	before, err := s.Query(storage.Filter{Kinds: []messages.EventKind{mailed}})
	require.NoError(t, err)
	require.Less(t, len(before), 60, "killed mid-way")
	stock, mail := spawnChain(t, s, filepath.Join(dir, "ck"), 3)
	require.True(t, stock.Recovery().Resumed)
	settledChain(t, s, stock, mail)
	checkChain(t, s, 60)
	t.Logf("mails before the kill %d; after: stock %+v from %d, mail %+v from %d", len(before),
		stock.Stats(), stock.Recovery().From, mail.Stats(), mail.Recovery().From)
}

// TestReactorKillChild is the process TestChainAcrossAProcessKill kills.
func TestReactorKillChild(t *testing.T) {
	dir := os.Getenv(killChildDir)
	if dir == "" {
		t.Skip("the child process of TestChainAcrossAProcessKill")
	}
	s := openStore(t, filepath.Join(dir, "store"))
	placeOrders(t, s, 0, 60)
	_, mail := spawnChain(t, s, filepath.Join(dir, "ck"), 3)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		fmt.Printf("mails %d\n", mail.Stats().Triggers)
		time.Sleep(time.Millisecond) // a child's progress report, not a synchronisation
	}
	t.Fatal("not killed in time")
}
