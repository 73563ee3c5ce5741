package actors

import (
	"context"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// DefaultLogger is the logger a store uses when Config.Logger is nil: it
// writes through slog.Default()'s handler (which the application may
// replace with slog.SetDefault) but only at slog.LevelWarn and above. The
// store is quiet while it works and never silent about a failure: a writer
// crash, a restart, a stop for good, a store that cannot open, a torn tail
// cut at recovery, a fanout restart.
func DefaultLogger() *slog.Logger {
	return slog.New(&minLevel{min: slog.LevelWarn})
}

// SystemLogger is a protoactor actor.ConfigOption that sends the actor
// system's own log lines (protoactor prints coloured INFO lines on stdout
// by default) to logger instead, for example
//
//	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
func SystemLogger(logger *slog.Logger) actor.ConfigOption {
	return actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger })
}

// minLevel passes records at min and above to slog.Default()'s handler,
// looked up at each record so that a later slog.SetDefault is followed;
// ops are the WithAttrs and WithGroup calls made on it, in order.
type minLevel struct {
	min slog.Level
	ops []func(slog.Handler) slog.Handler
}

// Enabled implements slog.Handler.
func (h *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && slog.Default().Handler().Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *minLevel) Handle(ctx context.Context, r slog.Record) error {
	next := slog.Default().Handler()
	for _, op := range h.ops {
		next = op(next)
	}
	return next.Handle(ctx, r)
}

func (h *minLevel) with(op func(slog.Handler) slog.Handler) *minLevel {
	return &minLevel{min: h.min, ops: append(h.ops[:len(h.ops):len(h.ops)], op)}
}

// WithAttrs implements slog.Handler.
func (h *minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.with(func(n slog.Handler) slog.Handler { return n.WithAttrs(attrs) })
}

// WithGroup implements slog.Handler.
func (h *minLevel) WithGroup(name string) slog.Handler {
	return h.with(func(n slog.Handler) slog.Handler { return n.WithGroup(name) })
}

// storeLog is the store's logger with the batpak.store attribute.
type storeLog struct{ l *slog.Logger }

func newStoreLog(cfg Config) storeLog {
	return storeLog{l: cfg.Logger.With(slog.String("batpak.store", cfg.Name))}
}

// failed logs a failure at slog.LevelError.
func (s storeLog) failed(msg string, err error, attrs ...any) {
	s.l.Error(msg, append([]any{slog.Any("error", err)}, attrs...)...)
}

// opened logs an engine the writer opened: after a restart (f) a warning
// with what the restart did; otherwise an info line, and a warning when
// recovery cut a torn tail or ignored a checkpoint.
func (s storeLog) opened(e *storage.Engine, f *supervision.Failure, crashCut []string) {
	st := e.Stats()
	rec := st.Recovery
	if f != nil {
		s.l.Warn("batpak writer restarted on a fresh segment; every acknowledged event is kept",
			slog.String("policy", f.Policy.String()), slog.Int("restart", f.Restart),
			slog.Uint64("segment", e.WriterStats().ActiveSegment),
			slog.Any("cut_unacknowledged", append(crashCut[:len(crashCut):len(crashCut)], rec.CutUnacknowledged...)))
		return
	}
	s.l.Info("batpak store opened", slog.Int("events", rec.Events), slog.Int("segments", rec.Segments),
		slog.Int("scanned_segments", rec.ScannedSegments))
	if len(rec.TornTails) > 0 || len(rec.CheckpointsIgnored) > 0 || rec.DiscardedBatches > 0 {
		s.l.Warn("batpak recovery cut what was never acknowledged (a crash or power cut), or ignored a stale index checkpoint",
			slog.Any("torn_tails", rec.TornTails), slog.Int("discarded_batches", rec.DiscardedBatches),
			slog.Any("checkpoints_ignored", rec.CheckpointsIgnored))
	}
}
