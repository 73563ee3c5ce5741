package projection

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/es/internal/checkpoint"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Config describes a live projection. Apply is required, and Name when Dir
// is set; every other field has a default.
type Config[S any] struct {
	// Name names the projection: its checkpoint file is Dir/Name.ckpt, and
	// it appears in its log lines. 1 to 128 of [A-Za-z0-9._-].
	Name string
	// Filter selects the events (entity prefix, scope, kinds; the sequence
	// bounds, limit and direction are ignored).
	Filter storage.Filter
	// Initial returns the state before any event; nil: S's zero value.
	Initial func() S
	// Apply folds one event into the state (see Apply).
	Apply Apply[S]
	// Dir is where the checkpoint is kept (created 0700); "" keeps none, so
	// each Spawn rebuilds the state from the whole log.
	Dir string
	// Type names the state's shape in the checkpoint; a checkpoint of
	// another Type is ignored (the state is rebuilt). Change it when S or
	// its encoding changes. Default: Name.
	Type string
	// Codec encodes the state in the checkpoint; default Msgpack[S].
	Codec Codec[S]
	// Clone returns a copy of the state that later events cannot change,
	// for query replies; default: a round trip through Codec. For a state
	// without maps, slices or pointers, func(s S) S { return s } is enough.
	Clone func(S) S
	// Every is how many applied events trigger a checkpoint; default 1,000.
	Every int
	// Interval bounds how long applied events wait for a checkpoint;
	// default 1 s. A checkpoint is also written when the projection stops.
	Interval time.Duration
	// Capacity bounds the subscriber's queue (see actors.Store.Subscribe);
	// default actors.DefaultSubscriberCapacity.
	Capacity int
	// Spawner spawns the projection's actor: pass an actor's Context to
	// make it that actor's child; default the actor system's root.
	Spawner actor.SpawnerContext
	// Logger gets a line for an ignored checkpoint and a failed one
	// (Warn); default slog.Default().
	Logger *slog.Logger
}

// cloner returns c.Clone, or a round trip through the codec.
func (c Config[S]) cloner() func(S) (S, error) {
	if c.Clone != nil {
		return func(s S) (S, error) { return c.Clone(s), nil }
	}
	return func(s S) (S, error) {
		b, err := c.Codec.Encode(s)
		if err != nil {
			return s, fmt.Errorf("batpak projection: copy the state: %w", err)
		}
		return c.Codec.Decode(b)
	}
}

// tickMax bounds the period of the projection's timer: it also answers
// waiters for sequences its filter does not match.
const tickMax = 50 * time.Millisecond

func (c Config[S]) withDefaults() (Config[S], error) {
	if c.Apply == nil {
		return c, fmt.Errorf("batpak projection: Config.Apply is nil: %w", messages.ErrInvalidArgument)
	}
	if c.Dir != "" || c.Name != "" {
		if err := checkpoint.ValidName(c.Name); err != nil {
			return c, fmt.Errorf("batpak projection: Config.Name: %w", err)
		}
	}
	if c.Every < 0 || c.Interval < 0 || c.Capacity < 0 {
		return c, fmt.Errorf("batpak projection: negative Every, Interval or Capacity: %w", messages.ErrInvalidArgument)
	}
	if c.Initial == nil {
		c.Initial = func() S { var s S; return s }
	}
	if c.Type == "" {
		c.Type = c.Name
	}
	if c.Codec == nil {
		c.Codec = Msgpack[S]{}
	}
	if c.Every == 0 {
		c.Every = 1000
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Filter.FromSeq, c.Filter.BeforeSeq, c.Filter.Limit, c.Filter.Backward = 0, 0, 0, false
	return c, nil
}
