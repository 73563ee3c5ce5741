package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// settle commits every group held and decides every deferred request,
// waiting for each fsync.
func (w *writer) settle(ctx actor.Context) {
	for {
		switch {
		case w.inflight != nil:
			<-w.inflight.done
			w.land(ctx)
		case len(w.open.waiters) > 0:
			w.closeGroup(ctx) // a lone request lands inline
		case len(w.deferred) > 0:
			w.redecide(ctx) // nothing is unpublished: each is decided now
		default:
			return
		}
	}
}

// sync commits every group held, then fsyncs (what SyncPeriodic defers).
func (w *writer) sync(ctx actor.Context) {
	if w.refuse(ctx, ctx.Sender(), false) {
		return
	}
	w.settle(ctx)
	err := w.e.Sync()
	w.dirty = false
	w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Failure: messages.ToError(err)})
	if err != nil {
		panic(fmt.Errorf("batpak writer: sync failed, reopening: %w", err))
	}
}

// shutdown commits everything held, then closes the engine (which seals
// the segment). Requests that arrive later are answered ErrClosed.
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

func (w *writer) reply(ctx actor.Context, to *actor.PID, msg any) {
	if to != nil {
		ctx.Send(to, msg)
	}
}
