package actors

import (
	"github.com/batpak-go/batpak/messages"
	"log/slog"
	"time"

	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Config configures a store spawned with Spawn. Only Dir is required.
type Config struct {
	// Dir is the data directory.
	Dir string
	// Storage are the engine's options (zero value: durable commits, 64 MiB
	// segments, the OS file system). Unlike the engine's own default,
	// Storage.Preallocate defaults here to DefaultPreallocate (segments are
	// zero-filled 4 MiB ahead, which makes most fdatasyncs ~35% cheaper on
	// ext4); set it to -1 for segments that grow with each write.
	Storage storage.Options
	// Policy is the writer's restart policy. Default supervision.Once().
	Policy supervision.RestartPolicy
	// Name is the supervisor actor's name; the writer is Name+"/writer"
	// and the reader Name+"/reader". Default "batpak". Two stores in one
	// actor system need two names: Spawn fails with ErrNameTaken when a
	// name is in use.
	Name string
	// MaxGroupEvents closes a commit group at this many events. Default 1024.
	MaxGroupEvents int
	// MaxGroupBytes closes a commit group at this many payload bytes.
	// Default 4 MiB.
	MaxGroupBytes int
	// MaxQueuedEvents bounds the append events queued for the writer (sent,
	// not yet taken by it). An Append or AppendBatch that would exceed it
	// is not queued: its sender is answered at once with
	// messages.ErrOverloaded (a *messages.AppendReply or
	// *messages.AppendBatchReply), to back off and retry; one without a
	// sender is dropped. Store.Append and Store.AppendBatch instead wait for
	// room. A single request larger than the bound is admitted when nothing
	// is queued. Default 65,536.
	MaxQueuedEvents int
	// MaxQueuedBytes bounds the payload bytes of the append events queued
	// for the writer, in the same way as MaxQueuedEvents. Default 64 MiB.
	MaxQueuedBytes int
	// DrainLimit bounds the requests the writer still takes once Close has
	// begun (those already queued); later ones are answered
	// messages.ErrClosed, as every request through the Store after Close.
	// Default 4096.
	DrainLimit int
	// RequestTimeout bounds a Store call whose context has no deadline.
	// Default 30 s.
	RequestTimeout time.Duration
	// TracerProvider makes the store's spans. Default: otel's global one.
	TracerProvider trace.TracerProvider
	// MeterProvider makes the store's metrics. Default: otel's global one.
	MeterProvider metric.MeterProvider
	// KindName, if set, names event kinds for traces: an append's
	// batpak.append span gets batpak.kind.name = KindName(kind) beside
	// batpak.kind (e.g. "1:001"). es/typed's Registry.Name is one. It runs
	// on the writer, only for spans that record; it must be fast and must
	// not block ("" means no name; a panic is ignored).
	KindName func(messages.EventKind) string
	// Logger receives the store's log lines, each with the batpak.store
	// attribute: failures (a writer crash, a stop for good, a store that
	// cannot open, a failed close) at slog.LevelError; a restart, a torn tail
	// cut or a checkpoint ignored at recovery, a fanout restart at
	// slog.LevelWarn; a store opened at slog.LevelInfo. Default
	// DefaultLogger(): slog's default handler, warnings and errors only.
	// (protoactor's own lines go to the actor system's logger: see
	// SystemLogger.)
	Logger *slog.Logger
}

// DefaultPreallocate is how far ahead the store zero-fills its segments.
const DefaultPreallocate = 4 << 20

func (c Config) withDefaults() Config {
	switch {
	case c.Storage.Preallocate == 0:
		c.Storage.Preallocate = DefaultPreallocate
	case c.Storage.Preallocate < 0:
		c.Storage.Preallocate = 0
	}
	if c.Name == "" {
		c.Name = "batpak"
	}
	if c.MaxGroupEvents <= 0 {
		c.MaxGroupEvents = 1024
	}
	if c.MaxGroupBytes <= 0 {
		c.MaxGroupBytes = 4 << 20
	}
	if c.MaxQueuedEvents <= 0 {
		c.MaxQueuedEvents = 64 << 10
	}
	if c.MaxQueuedBytes <= 0 {
		c.MaxQueuedBytes = 64 << 20
	}
	if c.DrainLimit <= 0 {
		c.DrainLimit = 4096
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	if c.Logger == nil {
		c.Logger = DefaultLogger()
	}
	return c
}
