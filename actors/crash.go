package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// answerCrash runs when Receive panics. Before anyone is answered, it cuts
// from the files everything the engine wrote but did not publish (the
// group in flight, a group whose commit failed), durably: so "crashed"
// means nothing of the request was written, now and after any reopen, and
// a retry (even without an idempotency key) cannot duplicate an event. If
// the cut fails, the callers are told messages.ErrOutcomeUnknown instead
// (the next instance cuts again with Options.CutAfter). Then every caller
// of the open group, of the group in flight and of the failed group, and
// the sender of the message being handled, get their answer; the requests
// whose decision was deferred go back to the mailbox, with their senders,
// for the next instance to decide. The panic then goes on to the
// supervisor.
func (w *writer) answerCrash(ctx actor.Context) {
	r := recover()
	if r == nil {
		return
	}
	cut := w.cutUnpublished()
	crash := &messages.Error{Code: messages.CodeWriterCrashed,
		Message: fmt.Sprintf("batpak writer crashed (%v); nothing of this request was written", r)}
	if cut != nil {
		crash = &messages.Error{Code: messages.CodeOutcomeUnknown, Message: fmt.Sprintf(
			"batpak writer crashed (%v) and could not cut what it wrote (%v): the request may or may not be written; retry with an idempotency key", r, cut)}
	}
	if fg := w.failed; fg != nil {
		err := crash
		if cut == nil {
			err = messages.ToError(fmt.Errorf("%w (nothing of this request was written)", fg.err))
		}
		w.answerGroup(ctx, fg.g, err)
		w.failed = nil
	}
	w.answerGroup(ctx, w.open, crash)
	w.open = group{}
	if f := w.inflight; f != nil {
		w.answerGroup(ctx, f.g, crash)
		f.g = group{}
	}
	if d := w.deciding; d != nil { // it panicked while being decided again
		d.span.End()
		w.reply(ctx, d.to, failure(d.batch(), crash))
	}
	for _, d := range append(w.todo, w.deferred...) {
		d.span.End()
		if d.to != nil {
			ctx.RequestWithCustomSender(ctx.Self(), d.msg, d.to)
		} else {
			ctx.Send(ctx.Self(), d.msg)
		}
	}
	w.deciding, w.todo, w.deferred = nil, nil, nil
	if !w.taken {
		switch ctx.Message().(type) {
		case *messages.Append:
			w.reply(ctx, ctx.Sender(), failure(false, crash))
		case *messages.AppendBatch:
			w.reply(ctx, ctx.Sender(), failure(true, crash))
		}
	}
	panic(r)
}

// cutUnpublished waits for the fsync in flight, then cuts what the engine
// wrote but did not publish.
func (w *writer) cutUnpublished() error {
	if w.e == nil {
		return nil
	}
	if f := w.inflight; f != nil {
		<-f.done
	}
	held := len(w.open.waiters)
	if f := w.inflight; f != nil {
		held += len(f.g.waiters)
	}
	if fg := w.failed; fg != nil {
		held += len(fg.g.waiters)
	}
	p := w.e.Published()
	w.sh.mu.Lock()
	w.sh.lastSeg = w.e.WriterStats().ActiveSegment // for the restart or stop span
	w.sh.crashCut = nil
	if held > 0 {
		w.sh.crashCut = []string{fmt.Sprintf("segment %d after offset %d: the writes of %d unacknowledged request(s)",
			p.Segment, p.Offset, held)}
	}
	w.sh.mu.Unlock()
	return w.e.CutUnpublished()
}
