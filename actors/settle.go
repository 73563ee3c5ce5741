package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// settle commits every group held, waiting for each fsync.
func (w *writer) settle(ctx actor.Context) {
	for w.inflight != nil || len(w.open.waiters) > 0 {
		if w.inflight == nil {
			w.closeGroup(ctx)
		}
		<-w.inflight.done
		w.land(ctx)
	}
}

// sync commits every group held, then fsyncs (what SyncPeriodic defers).
func (w *writer) sync(ctx actor.Context) {
	if w.refuse(ctx, false) {
		return
	}
	w.settle(ctx)
	err := w.e.Sync()
	w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Failure: messages.ToError(err)})
	if err != nil {
		panic(fmt.Errorf("batpak writer: sync failed, reopening: %w", err))
	}
}

// shutdown commits everything held, then closes the engine (which seals
// the segment). Requests that arrive later are answered ShuttingDown.
func (w *writer) shutdown(ctx actor.Context) {
	var err error
	if w.e != nil && !w.closed {
		w.settle(ctx)
		err = w.e.Close()
		w.e = nil
	}
	w.closed = true
	w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Failure: messages.ToError(err)})
}

// answerCrash runs when Receive panics: every caller of the open group and
// of the group in flight, and the sender of the message being handled, get
// ErrWriterCrashed before the panic goes on to the supervisor. None of
// their events was acknowledged; the next instance cuts them from the log.
func (w *writer) answerCrash(ctx actor.Context) {
	r := recover()
	if r == nil {
		return
	}
	crash := &messages.Error{Code: messages.CodeWriterCrashed, Message: fmt.Sprintf("batpak writer crashed: %v", r)}
	w.answerGroup(ctx, w.open, crash)
	w.open = group{}
	if f := w.inflight; f != nil {
		w.answerGroup(ctx, f.g, crash)
		f.g = group{}
	}
	if !w.joined {
		switch ctx.Message().(type) {
		case *messages.Append:
			w.reply(ctx, ctx.Sender(), failure(false, crash))
		case *messages.AppendBatch:
			w.reply(ctx, ctx.Sender(), failure(true, crash))
		}
	}
	panic(r)
}

func (w *writer) reply(ctx actor.Context, to *actor.PID, msg any) {
	if to != nil {
		ctx.Send(to, msg)
	}
}
