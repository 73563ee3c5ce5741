package actors

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// Messages the writer sends itself.
type (
	// flush closes the open commit group.
	flush struct{}
	// synced reports that the fsync of a written group finished.
	synced struct{ f *flight }
	// shutdown asks the writer to commit what it holds, seal its segment
	// and close the engine; it answers with a *messages.ErrorReply.
	shutdown struct{}
	// syncRequest asks the writer to commit what it holds and fsync; it
	// answers with a *messages.ErrorReply.
	syncRequest struct{}
	// syncTick is SyncPeriodic's timer: it fsyncs what was committed since
	// the last fsync, also when traffic has stopped.
	syncTick struct{}
)

var nilRequest = &messages.Error{Code: messages.CodeInvalidArgument, Message: "batpak writer: nil request"}

// writer is the actor that owns one storage engine. A new instance is made
// by each (re)start; it opens the engine in Started.
type writer struct {
	sh       *shared
	tel      *telemetry
	e        *storage.Engine
	open     group
	spare    []waiter     // the waiters slice of the last group landed, for the next group
	flushing bool         // a flush is in the mailbox
	inflight *flight      // at most one group syncing
	failed   *failedGroup // a group whose commit failed, until the crash handler answers it
	deferred []request    // requests to decide again when the next group lands
	todo     []request    // deferred requests being decided again
	deciding *request     // the deferred request being decided again
	closed   bool
	drained  int  // requests taken since Close began
	taken    bool // the message being handled joined the open group or was deferred
	dirty    bool // SyncPeriodic: committed since the last fsync
	ticking  bool // SyncPeriodic: a syncTick is scheduled
}

func newWriter(sh *shared) actor.Producer {
	return func() actor.Actor { return &writer{sh: sh, tel: sh.tel} }
}

// Receive implements actor.Actor.
func (w *writer) Receive(ctx actor.Context) {
	w.taken = false
	defer w.answerCrash(ctx)
	switch m := ctx.Message().(type) {
	case *actor.Started:
		w.start()
	case *actor.Restarting:
		w.abandon()
	case *actor.Stopping:
		w.closeOnStop(ctx)
	case *actor.Stopped:
		w.sh.mailbox.stop() // its goroutine ends once the mailbox is idle
	case *messages.Append:
		if m == nil {
			w.reply(ctx, ctx.Sender(), &messages.AppendReply{Failure: nilRequest})
			return
		}
		w.receive(ctx, m, m.Trace)
	case *messages.AppendBatch:
		if m == nil {
			w.reply(ctx, ctx.Sender(), &messages.AppendBatchReply{Failure: nilRequest})
			return
		}
		w.receive(ctx, m, m.Trace)
	case *syncTick:
		w.periodicSync(ctx)
	case *flush:
		w.flushing = false
		w.closeGroup(ctx)
	case *synced:
		if m.f == w.inflight { // else a flight of a crashed instance
			w.land(ctx)
		}
	case *shutdown:
		w.shutdown(ctx)
	case *syncRequest:
		w.sync(ctx)
	case *messages.Undecodable:
		w.reply(ctx, ctx.Sender(), m.Reply())
	default:
		if w.fault(m) {
			return
		}
		w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Failure: &messages.Error{
			Code: messages.CodeUnknownMessage, Message: fmt.Sprintf("batpak writer: unknown message %T", m)}})
	}
}

// start opens the engine: on first start, or after a restart, when it
// first cuts what the crashed instance wrote but never acknowledged, then
// recovers and continues on a fresh segment.
func (w *writer) start() {
	if w.sh.stopped.Load() != nil {
		return // the budget is spent: this instance only refuses work
	}
	w.sh.mu.Lock()
	f, cut, old, crashCut := w.sh.restart, w.sh.cut, w.sh.lastSeg, w.sh.crashCut
	w.sh.restart, w.sh.cut, w.sh.crashCut = nil, nil, nil
	w.sh.mu.Unlock()
	e, err := w.timedOpen(cut, f != nil)
	if f != nil {
		f.Span.SetAttributes(attribute.Int64("batpak.segment.old", int64(old)))
	}
	if err != nil {
		// Corruption (or any open failure) is not retried: a restart would
		// read the same bytes. The writer answers WriterStopped from now on.
		reason := &messages.Error{Code: messages.CodeWriterStopped,
			Message: "batpak writer stopped: cannot open the store: " + err.Error()}
		if f != nil { // ended before its effect can be seen
			f.Span.RecordError(err)
			f.Span.SetStatus(codes.Error, "reopen failed")
			f.Span.End()
		}
		w.sh.log.failed("batpak writer: cannot open the store; it answers ErrWriterStopped from now on", err,
			slog.String("dir", w.sh.cfg.Dir))
		w.sh.endForGood(reason)
		w.sh.reportOpen(err)
		return
	}
	w.e = e
	w.sh.setEngine(e)
	w.sh.log.opened(e, f, crashCut)
	if f != nil {
		f.Span.SetAttributes(attribute.Int64("batpak.segment.new", int64(e.WriterStats().ActiveSegment)),
			attribute.StringSlice("batpak.cut", append(crashCut, e.Stats().Recovery.CutUnacknowledged...)))
		f.Span.End()
		w.tel.restarts.Add(context.Background(), 1, w.tel.store)
	}
	w.sh.reportOpen(nil)
}

// openEngine opens the engine. After a crash (cut is where the crashed
// instance's acknowledged log ends) it first tries to take the crashed
// engine's index over (storage.Engine.Reopen: no recovery of the older
// segments), and recovers from the files if that fails.
func (w *writer) openEngine(cut *storage.Position) (*storage.Engine, error) {
	if old := w.sh.engine.Load(); cut != nil && old != nil {
		if e, err := old.Reopen(); err == nil {
			return e, nil
		}
	}
	opts := w.sh.cfg.Storage
	opts.CutAfter = cut
	return storage.Open(w.sh.cfg.Dir, opts)
}

// abandon gives up the engine of an instance that is being replaced or
// stopped: it waits for a running fsync, then leaves the files as a crash
// would, noting where the acknowledged log ends so that the next instance
// cuts the rest.
func (w *writer) abandon() {
	if w.e == nil {
		return
	}
	if w.inflight != nil {
		<-w.inflight.done
	}
	acked := w.e.Published()
	w.sh.mu.Lock()
	w.sh.lastSeg = w.e.WriterStats().ActiveSegment
	w.sh.cut = &acked
	w.sh.mu.Unlock()
	w.e.Abandon()
	w.e = nil
}
