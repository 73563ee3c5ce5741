package command

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Store is what a Handler needs of the event store; *actors.Store has
// these methods.
type Store interface {
	// Append appends one event (see actors.Store.Append).
	Append(ctx context.Context, a *messages.Append) (messages.Receipt, error)
	// AppendBatch appends events atomically (see actors.Store.AppendBatch).
	AppendBatch(ctx context.Context, b *messages.AppendBatch) ([]messages.Receipt, error)
	// ReadStream reads one entity's events (see actors.Store.ReadStream).
	ReadStream(c messages.Coordinate, r storage.StreamRange) iter.Seq2[messages.Event, error]
	// Get returns the event with the given id (see actors.Store.Get).
	Get(id messages.ID) (messages.Event, error)
}

// Decider is an entity type's behaviour: how events change its state
// (Evolve) and which events a command produces (Decide). Events are typed
// values registered in Registry.
type Decider[S, C any] struct {
	// Registry binds the entity's event types to kinds; required.
	Registry *typed.Registry
	// Type names the state for snapshots (say "account/v1"); change it when
	// S's shape changes, so that old snapshots are not read as the new
	// shape. Required when Options.Snapshots is set.
	Type string
	// Initial returns the state of an entity with no events; nil means the
	// zero S.
	Initial func() S
	// Evolve returns the state after the event ev (a value of a type
	// registered in Registry, decoded from the store); required. It must
	// not fail: an event that was stored happened.
	Evolve func(state S, ev any) S
	// Decide returns the events (registered typed values, in order) the
	// command produces in state, or an error to reject it; nothing is
	// appended for an error or for no events. Required. It may run more
	// than once for one command (after a conflict, on a newer state), so
	// it must not have side effects.
	Decide func(state S, cmd C) ([]any, error)
}

// Options tune a Handler. The zero value works: 5 attempts, no snapshots.
type Options struct {
	// MaxAttempts bounds how many times a command is decided and appended
	// when it meets version conflicts; 0 means 5.
	MaxAttempts int
	// Snapshots, when set, is where loads start from and where snapshots
	// are saved; nil: none (every load reads the entity's events from
	// version 1).
	Snapshots Snapshots
	// SnapshotEvery, with Snapshots set, saves a snapshot after a command
	// whose events take the entity's version across a multiple of it; 0:
	// never (Handler.Snapshot saves one on demand).
	SnapshotEvery uint64
	// OnSnapshotError is called (from the goroutine running the command)
	// for each snapshot ignored on load and each failed save, with a
	// *SnapshotError; nil: not called (the counters still count).
	OnSnapshotError func(err error)
}

// Handler runs an entity type's commands against a store. It is safe for
// concurrent use: commands on one entity from several goroutines (or
// processes) are serialised by the store's version check, the losers
// retrying.
type Handler[S, C any] struct {
	store   Store
	d       Decider[S, C]
	o       Options
	ignored atomic.Uint64
	saved   atomic.Uint64
	failed  atomic.Uint64
}

// New returns a Handler of d's commands on store. A missing Registry,
// Evolve or Decide, a negative MaxAttempts, or Snapshots without a Type
// is ErrInvalid.
func New[S, C any](store Store, d Decider[S, C], o Options) (*Handler[S, C], error) {
	switch {
	case store == nil || d.Registry == nil || d.Evolve == nil || d.Decide == nil:
		return nil, fmt.Errorf("%w: a Handler needs a store, a Registry, Evolve and Decide", ErrInvalid)
	case o.MaxAttempts < 0:
		return nil, fmt.Errorf("%w: MaxAttempts %d", ErrInvalid, o.MaxAttempts)
	case o.Snapshots != nil && d.Type == "":
		return nil, fmt.Errorf("%w: snapshots need the Decider's Type", ErrInvalid)
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 5
	}
	return &Handler[S, C]{store: store, d: d, o: o}, nil
}

// SnapshotsIgnored returns how many snapshots loads have ignored (stale,
// beyond the stream, undecodable, or Latest failed).
func (h *Handler[S, C]) SnapshotsIgnored() uint64 { return h.ignored.Load() }

// SnapshotsSaved returns how many snapshots the handler has saved.
func (h *Handler[S, C]) SnapshotsSaved() uint64 { return h.saved.Load() }

// SnapshotSaveFailures returns how many snapshot saves failed.
func (h *Handler[S, C]) SnapshotSaveFailures() uint64 { return h.failed.Load() }

func (h *Handler[S, C]) report(e *SnapshotError) {
	if e.Op == ErrSnapshotIgnored {
		h.ignored.Add(1)
	} else {
		h.failed.Add(1)
	}
	if h.o.OnSnapshotError != nil {
		h.o.OnSnapshotError(e)
	}
}
