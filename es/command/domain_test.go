package command_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// The tests' aggregate: a bank account.

// Opened opens an account.
type Opened struct {
	Owner string `msgpack:"owner"`
}

// Deposited adds to the balance.
type Deposited struct {
	Amount int64 `msgpack:"amount"`
}

// Withdrawn takes from the balance.
type Withdrawn struct {
	Amount int64 `msgpack:"amount"`
}

// FeeCharged takes a fee from the balance.
type FeeCharged struct {
	Amount int64 `msgpack:"amount"`
}

// Account is the state.
type Account struct {
	Open    bool   `msgpack:"open"`
	Owner   string `msgpack:"owner"`
	Balance int64  `msgpack:"balance"`
	Events  int    `msgpack:"events"`
}

// Open, Deposit and Withdraw are the commands; a Withdraw with a Fee
// decides two events (the batch path).
type (
	Open     struct{ Owner string }
	Deposit  struct{ Amount int64 }
	Withdraw struct{ Amount, Fee int64 }
)

var (
	errClosed       = errors.New("account is not open")
	errInsufficient = errors.New("insufficient funds")
	acct            = messages.Coordinate{Entity: "account-1", Scope: "bank"}
)

func registry(t testing.TB) *typed.Registry {
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[Opened](r, messages.MustKind(2, 1), "account.opened", 1))
	require.NoError(t, typed.Register[Deposited](r, messages.MustKind(2, 2), "account.deposited", 1))
	require.NoError(t, typed.Register[Withdrawn](r, messages.MustKind(2, 3), "account.withdrawn", 1))
	require.NoError(t, typed.Register[FeeCharged](r, messages.MustKind(2, 4), "account.fee", 1))
	return r
}

func evolve(s Account, ev any) Account {
	s.Events++
	switch e := ev.(type) {
	case Opened:
		s.Open, s.Owner = true, e.Owner
	case Deposited:
		s.Balance += e.Amount
	case Withdrawn:
		s.Balance -= e.Amount
	case FeeCharged:
		s.Balance -= e.Amount
	}
	return s
}

func decide(s Account, cmd any) ([]any, error) {
	switch c := cmd.(type) {
	case Open:
		if s.Open {
			return nil, nil // already open: nothing to do
		}
		return []any{Opened{Owner: c.Owner}}, nil
	case Deposit:
		if !s.Open {
			return nil, errClosed
		}
		return []any{Deposited{Amount: c.Amount}}, nil
	case Withdraw:
		if s.Balance < c.Amount+c.Fee {
			return nil, errInsufficient
		}
		if c.Fee == 0 {
			return []any{Withdrawn{Amount: c.Amount}}, nil
		}
		return []any{Withdrawn{Amount: c.Amount}, FeeCharged{Amount: c.Fee}}, nil
	}
	return nil, fmt.Errorf("unknown command %T", cmd)
}

func decider(t testing.TB) command.Decider[Account, any] {
	return command.Decider[Account, any]{Registry: registry(t), Type: "account/v1", Evolve: evolve, Decide: decide}
}

func spawnStore(t testing.TB) *actors.Store {
	t.Helper()
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	t.Cleanup(sys.Shutdown)
	s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// replayAll folds every event of c from version 1, without the handler:
// what a correct load must equal.
func replayAll(t testing.TB, s *actors.Store, r *typed.Registry, c messages.Coordinate) Account {
	t.Helper()
	evs, err := s.Stream(c, 1)
	require.NoError(t, err)
	var a Account
	for _, ev := range evs {
		v, err := typed.Decode(r, ev)
		require.NoError(t, err)
		a = evolve(a, v)
	}
	return a
}

// memSnapshots is an in-memory command.Snapshots (the durable one is
// es/snapshot's Store); fail makes Latest or Save fail.
type memSnapshots struct {
	mu       sync.Mutex
	latest   map[string]command.Snapshot
	failLoad error
	failSave error
}

func newMemSnapshots() *memSnapshots { return &memSnapshots{latest: map[string]command.Snapshot{}} }

func (m *memSnapshots) Latest(c messages.Coordinate, typ string) (command.Snapshot, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failLoad != nil {
		return command.Snapshot{}, false, m.failLoad
	}
	sn, ok := m.latest[c.String()+"|"+typ]
	return sn, ok, nil
}

func (m *memSnapshots) Save(sn command.Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSave != nil {
		return m.failSave
	}
	m.latest[sn.Coordinate.String()+"|"+sn.Type] = sn
	return nil
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
