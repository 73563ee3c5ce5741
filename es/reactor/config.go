package reactor

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/es/internal/checkpoint"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Reaction is one event a reactor appends because of a trigger.
type Reaction struct {
	// Name tells a trigger's reactions apart in their idempotency keys;
	// "" uses the reaction's index in React's result. Keep names (or the
	// order) stable: the key of a reaction must be the same every time its
	// trigger is handled.
	Name string
	// Coordinate is the reaction's stream.
	Coordinate messages.Coordinate
	// Kind is the reaction's type.
	Kind messages.EventKind
	// Payload is the reaction's body.
	Payload []byte
	// Expected is the reaction's expected version (default any; see
	// messages.BatchItem.Expected for what a batch accepts).
	Expected messages.ExpectedVersion
}

// Config describes a reactor. Name and React are required.
type Config struct {
	// Name names the reactor: part of every reaction's idempotency key, so
	// two reactors with the same name and trigger write one reaction, and
	// its checkpoint file is Dir/Name.ckpt. 1 to 128 of [A-Za-z0-9._-].
	Name string
	// Filter selects the triggers (entity prefix, scope, kinds).
	Filter storage.Filter
	// React returns the reactions to a trigger. It must be deterministic
	// (the same trigger gives the same reactions: it may run more than
	// once for one trigger) and must not keep trigger.Payload. An error
	// holds the reactor at this trigger; it is asked again later.
	React func(trigger messages.Event) ([]Reaction, error)
	// Dir is where the checkpoint is kept (created 0700); "" keeps none,
	// so each Spawn goes through the whole log again (every reaction
	// already written is then recognised by its key, not written again).
	Dir string
	// Every is how many triggers handled trigger a checkpoint; default 100.
	Every int
	// Interval bounds how long handled triggers wait for a checkpoint,
	// and is how soon a failed append is retried when no new trigger
	// comes; default 100 ms.
	Interval time.Duration
	// AppendTimeout bounds one append of reactions; default 10 s.
	AppendTimeout time.Duration
	// Capacity bounds the subscriber's queue; default
	// actors.DefaultSubscriberCapacity.
	Capacity int
	// Spawner spawns the reactor's actor; default the system's root.
	Spawner actor.SpawnerContext
	// Logger gets a line for a failed reaction, an ignored checkpoint and a
	// failed one (Warn); default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if err := checkpoint.ValidName(c.Name); err != nil {
		return c, fmt.Errorf("batpak reactor: Config.Name: %w", err)
	}
	if c.React == nil {
		return c, fmt.Errorf("batpak reactor: Config.React is nil: %w", messages.ErrInvalidArgument)
	}
	if c.Every < 0 || c.Interval < 0 || c.AppendTimeout < 0 || c.Capacity < 0 {
		return c, fmt.Errorf("batpak reactor: a negative option: %w", messages.ErrInvalidArgument)
	}
	if c.Every == 0 {
		c.Every = 100
	}
	if c.Interval == 0 {
		c.Interval = 100 * time.Millisecond
	}
	if c.AppendTimeout == 0 {
		c.AppendTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Filter.FromSeq, c.Filter.BeforeSeq, c.Filter.Limit, c.Filter.Backward = 0, 0, 0, false
	return c, nil
}

// Key is the idempotency key of a reactor's reaction to a trigger:
// messages.KeyOf("batpak.reactor", reactor, trigger id, reaction name).
func Key(reactor string, trigger messages.ID, reaction string) messages.ID {
	return messages.KeyOf("batpak.reactor", reactor, trigger.String(), reaction)
}
