package protopersist

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/persistence"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
)

// DefaultKind is the EventKind of the events a Provider appends when
// Options.Kind is zero.
var DefaultKind = messages.MustKind(0xE, 0x001)

// Defaults of Options.
const (
	DefaultScope            = "protoactor"
	DefaultSnapshotType     = "protoactor.snapshot"
	DefaultSnapshotInterval = 100
)

// Options configures a Provider. The zero value works.
type Options struct {
	// Scope is the scope of every actor's stream. Default DefaultScope
	// ("protoactor").
	Scope string
	// EntityPrefix is put before the actor's name to make its entity
	// (Coordinate.Entity = EntityPrefix + actor name). Default "" (the
	// entity is the actor's name, e.g. "demo.actor" or "parent/child").
	EntityPrefix string
	// Kind is the EventKind of the appended events (all of them: the proto
	// type travels in the payload). Default DefaultKind; a reserved kind is
	// refused with messages.ErrReservedKind.
	Kind messages.EventKind
	// SnapshotInterval is protoactor's snapshot interval: the Mixin asks
	// the actor for a snapshot (a *persistence.RequestSnapshot) whenever
	// it persists the event at an index that is a multiple of it. Default
	// DefaultSnapshotInterval (100); negative is refused with
	// messages.ErrInvalidArgument.
	SnapshotInterval int
	// SnapshotType is the snapshot.Snapshot.Type of the actors'
	// snapshots. Default DefaultSnapshotType.
	SnapshotType string
	// Timeout bounds each store call (an append, a read of the event a
	// snapshot is taken at). Default 0: the store's RequestTimeout.
	Timeout time.Duration
	// Resolver finds the Go types of stored proto messages by their full
	// names. Default protoregistry.GlobalTypes (every generated message
	// type linked into the program).
	Resolver interface {
		protoregistry.MessageTypeResolver
		protoregistry.ExtensionTypeResolver
	}
	// Logger receives the failures that do not stop an actor (a snapshot
	// that could not be saved, deleted or used). Default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
	if o.Kind == 0 {
		o.Kind = DefaultKind
	}
	if err := o.Kind.Validate(); err != nil {
		return o, fmt.Errorf("protopersist: Options.Kind: %w", err)
	}
	switch {
	case o.SnapshotInterval < 0:
		return o, fmt.Errorf("%w: protopersist: Options.SnapshotInterval is %d, want >= 0", messages.ErrInvalidArgument, o.SnapshotInterval)
	case o.SnapshotInterval == 0:
		o.SnapshotInterval = DefaultSnapshotInterval
	}
	if o.SnapshotType == "" {
		o.SnapshotType = DefaultSnapshotType
	}
	if o.Resolver == nil {
		o.Resolver = protoregistry.GlobalTypes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Provider is protoactor's persistence.Provider (and ProviderState) on a
// batpak store: events in the event store, snapshots in a snapshot store.
// It holds no state of its own beyond its options, so one Provider serves
// any number of actors at once; it is safe for concurrent use.
type Provider struct {
	store *actors.Store
	snaps *snapshot.Store
	opts  Options
}

var (
	_ persistence.Provider      = (*Provider)(nil)
	_ persistence.ProviderState = (*Provider)(nil)
)

// New returns a Provider that appends to store and keeps snapshots in
// snaps (which may be nil: then no snapshot is ever saved and recovery
// always replays every event). The caller keeps ownership of both: close
// them after the actors that use the Provider are stopped.
func New(store *actors.Store, snaps *snapshot.Store, opts Options) (*Provider, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: protopersist: nil store", messages.ErrInvalidArgument)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Provider{store: store, snaps: snaps, opts: o}, nil
}

// GetState implements persistence.Provider: the Provider is its own state.
func (p *Provider) GetState() persistence.ProviderState { return p }

// Restart implements persistence.ProviderState. The Mixin calls it before
// each recovery; the Provider has nothing to reset.
func (p *Provider) Restart() {}

// GetSnapshotInterval implements persistence.ProviderState.
func (p *Provider) GetSnapshotInterval() int { return p.opts.SnapshotInterval }

// Coordinate returns the stream of the actor named actorName (protoactor's
// PID Id, which persistence.Mixin.Name returns): entity
// Options.EntityPrefix + actorName, scope Options.Scope.
func (p *Provider) Coordinate(actorName string) messages.Coordinate {
	return messages.Coordinate{Entity: p.opts.EntityPrefix + actorName, Scope: p.opts.Scope}
}

// ctx returns the context of one store call.
func (p *Provider) ctx() (context.Context, context.CancelFunc) {
	if p.opts.Timeout > 0 {
		return context.WithTimeout(context.Background(), p.opts.Timeout)
	}
	return context.Background(), func() {}
}
