package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// flush is the message the writer sends itself to close a commit group.
type flush struct{ gen uint64 }

// shutdown asks the writer to commit what it holds, seal its segment and
// close the engine; it answers with a *messages.ErrorReply (Err nil on
// success).
type shutdown struct{}

// waiter is a caller whose reply waits for the group's commit.
type waiter struct {
	to      *actor.PID
	batch   bool
	receipt messages.Receipt
	batchRs []messages.Receipt
}

// writer is the actor that owns one storage engine. A new instance is made
// by each (re)start; it opens the engine in Started.
type writer struct {
	sh      *shared
	joined  bool // the message being handled joined the group
	e       *storage.Engine
	group   []waiter
	bytes   int
	gen     uint64 // of the open group
	flushed bool   // a flush for gen is in the mailbox
	closed  bool
}

func newWriter(sh *shared) actor.Producer {
	return func() actor.Actor { return &writer{sh: sh} }
}

// Receive implements actor.Actor.
func (w *writer) Receive(ctx actor.Context) {
	w.joined = false
	defer w.answerCrash(ctx)
	switch m := ctx.Message().(type) {
	case *actor.Started:
		w.start()
	case *actor.Restarting:
		w.closeEngine()
	case *actor.Stopping:
		w.closeEngine()
	case *actor.Stopped, *actor.ReceiveTimeout:
	case *messages.Append:
		w.append(ctx, m)
	case *messages.AppendBatch:
		w.appendBatch(ctx, m)
	case *flush:
		if m.gen == w.gen {
			w.commit(ctx)
		}
	case *shutdown:
		w.shutdown(ctx)
	case *faults.Panic:
		panic(m.Reason)
	default:
		w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Err: &messages.Error{
			Code: messages.CodeUnknownMessage, Message: fmt.Sprintf("batpak writer: unknown message %T", m)}})
	}
}

// start opens the engine: on first start, or after a restart, when
// recovery reads the segments the crashed instance left and the engine
// continues on a fresh segment.
func (w *writer) start() {
	if w.sh.stopped.Load() != nil {
		return // the budget is spent: this instance only refuses work
	}
	e, err := storage.Open(w.sh.cfg.Dir, w.sh.cfg.Storage)
	w.sh.mu.Lock()
	f := w.sh.restart
	w.sh.restart = nil
	old := w.sh.lastSeg
	w.sh.mu.Unlock()
	if f != nil {
		f.Span.SetAttributes(attribute.Int64("batpak.segment.old", int64(old)))
	}
	if err != nil {
		// Corruption (or any open failure) is not retried: a restart would
		// read the same bytes. The writer answers WriterStopped from now on.
		w.sh.stop(&messages.Error{Code: messages.CodeWriterStopped,
			Message: "batpak writer stopped: cannot open the store: " + err.Error()})
		if f != nil {
			f.Span.RecordError(err)
			f.Span.SetStatus(codes.Error, "reopen failed")
			f.Span.End()
		}
		w.sh.reportOpen(err)
		return
	}
	w.e = e
	w.sh.engine.Store(e)
	if f != nil {
		f.Span.SetAttributes(attribute.Int64("batpak.segment.new", int64(e.WriterStats().ActiveSegment)))
		f.Span.End()
	}
	w.sh.reportOpen(nil)
}

// closeEngine closes the engine of an instance that is being replaced or
// stopped: what is staged was never acknowledged and is dropped.
func (w *writer) closeEngine() {
	if w.e == nil {
		return
	}
	w.sh.mu.Lock()
	w.sh.lastSeg = w.e.WriterStats().ActiveSegment
	w.sh.mu.Unlock()
	w.e.Rollback()
	w.e.Close()
	w.e = nil
}

// refuse answers a request the writer cannot take, or returns false.
func (w *writer) refuse(ctx actor.Context, batch bool) bool {
	var err *messages.Error
	switch {
	case w.sh.stopped.Load() != nil:
		err = w.sh.stopped.Load()
	case w.closed:
		err = &messages.Error{Code: messages.CodeShuttingDown, Message: "batpak writer: the store is shutting down"}
	case w.e == nil:
		err = &messages.Error{Code: messages.CodeWriterStopped, Message: "batpak writer: no engine"}
	default:
		return false
	}
	w.reply(ctx, ctx.Sender(), failure(batch, err))
	return true
}

func failure(batch bool, err *messages.Error) any {
	if batch {
		return &messages.AppendBatchReply{Err: err}
	}
	return &messages.AppendReply{Err: err}
}

func (w *writer) append(ctx actor.Context, a *messages.Append) {
	if w.refuse(ctx, false) {
		return
	}
	r, err := w.e.Append(a)
	if err != nil {
		w.reply(ctx, ctx.Sender(), &messages.AppendReply{Err: messages.ToError(err)})
		return
	}
	w.join(ctx, waiter{to: ctx.Sender(), receipt: r}, len(a.Payload))
}

func (w *writer) appendBatch(ctx actor.Context, b *messages.AppendBatch) {
	if w.refuse(ctx, true) {
		return
	}
	rs, err := w.e.AppendBatch(b)
	if err != nil {
		w.reply(ctx, ctx.Sender(), &messages.AppendBatchReply{Err: messages.ToError(err)})
		return
	}
	n := 0
	for i := range b.Items {
		n += len(b.Items[i].Payload)
	}
	w.join(ctx, waiter{to: ctx.Sender(), batch: true, batchRs: rs}, n)
}

// join adds a staged request to the open group, asking for a flush when
// the group opens and committing at once when it reaches its bounds.
func (w *writer) join(ctx actor.Context, wt waiter, bytes int) {
	w.group = append(w.group, wt)
	w.joined = true
	w.bytes += bytes
	if len(w.group) >= w.sh.cfg.MaxGroupEvents || w.bytes >= w.sh.cfg.MaxGroupBytes {
		w.commit(ctx)
		return
	}
	if !w.flushed {
		w.flushed = true
		ctx.Send(ctx.Self(), &flush{gen: w.gen})
	}
}

// commit closes the group: one Commit, then every caller gets its reply.
// A failed commit answers every caller with the error and then restarts
// the writer (panics), since the engine refuses writes until reopened.
func (w *writer) commit(ctx actor.Context) {
	group := w.group
	w.group, w.bytes, w.flushed = w.group[:0:0], 0, false
	w.gen++
	if len(group) == 0 {
		return
	}
	events, err := w.e.CommitEvents()
	if err != nil {
		me := messages.ToError(err)
		for _, wt := range group {
			w.reply(ctx, wt.to, failure(wt.batch, me))
		}
		panic(fmt.Errorf("batpak writer: commit failed, reopening: %w", err))
	}
	for _, wt := range group {
		if wt.batch {
			w.reply(ctx, wt.to, &messages.AppendBatchReply{Receipts: wt.batchRs})
		} else {
			w.reply(ctx, wt.to, &messages.AppendReply{Receipt: wt.receipt})
		}
	}
	if len(events) > 0 && w.sh.subscribers.Load() > 0 {
		ctx.Send(w.sh.fanout, &committed{events: events})
	}
}

func (w *writer) shutdown(ctx actor.Context) {
	var err error
	if w.e != nil && !w.closed {
		w.commit(ctx)
		err = w.e.Close()
		w.e = nil
	}
	w.closed = true
	w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Err: messages.ToError(err)})
}

// answerCrash runs when Receive panics: every caller of the group in flight,
// and the sender of the message being handled, get ErrWriterCrashed before
// the panic goes on to the supervisor.
func (w *writer) answerCrash(ctx actor.Context) {
	r := recover()
	if r == nil {
		return
	}
	crash := &messages.Error{Code: messages.CodeWriterCrashed, Message: fmt.Sprintf("batpak writer crashed: %v", r)}
	for _, wt := range w.group {
		w.reply(ctx, wt.to, failure(wt.batch, crash))
	}
	w.group = nil
	if w.joined {
		panic(r) // its sender was in the group
	}
	switch ctx.Message().(type) {
	case *messages.Append:
		w.reply(ctx, ctx.Sender(), failure(false, crash))
	case *messages.AppendBatch:
		w.reply(ctx, ctx.Sender(), failure(true, crash))
	}
	panic(r)
}

func (w *writer) reply(ctx actor.Context, to *actor.PID, msg any) {
	if to != nil {
		ctx.Send(to, msg)
	}
}
