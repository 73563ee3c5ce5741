package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// errClosed answers a request to a store that is closed or closing,
// through an actor or the Go API alike.
var errClosed = &messages.Error{Code: messages.CodeClosed, Message: "batpak: the store is closed"}

// closedByStop is why a store stopped from outside (its parent stopped, or
// its supervisor was stopped) refuses requests.
var closedByStop = &messages.Error{Code: messages.CodeClosed,
	Message: "batpak: the store was stopped (its parent actor or its supervisor stopped)"}

// closeOnStop runs as the writer stops for good (not at a restart: see
// abandon). Close has normally closed the engine already; when the store is
// stopped from outside (its parent, see SpawnIn), the writer commits what
// it holds and closes the engine as Close would. Either way, the requests
// still queued in its mailbox are answered messages.ErrClosed instead of
// being dropped unanswered.
func (w *writer) closeOnStop(ctx actor.Context) {
	if w.e != nil && !w.closed {
		w.settle(ctx)
		if err := w.e.Close(); err != nil {
			w.sh.log.failed("batpak writer: close on stop", err)
		}
		w.e = nil
	}
	w.closed = true
	for _, msg := range w.sh.mailbox.takeUser() {
		w.answerClosed(ctx, msg)
	}
}

// answerClosed answers a queued request with messages.ErrClosed.
func (w *writer) answerClosed(ctx actor.Context, msg any) {
	var to *actor.PID
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		msg, to = env.Message, env.Sender
	}
	if to == nil {
		return
	}
	switch msg.(type) {
	case *messages.Append:
		ctx.Send(to, failure(false, errClosed))
	case *messages.AppendBatch:
		ctx.Send(to, failure(true, errClosed))
	default:
		ctx.Send(to, &messages.ErrorReply{Failure: errClosed})
	}
}

// childStoppedOutside is why a store whose writer, fanout or reader was
// stopped by a message from outside (a Stop or PoisonPill sent to its PID,
// perhaps over protoactor remote) refuses requests.
var childStoppedOutside = &messages.Error{Code: messages.CodeClosed,
	Message: "batpak: one of the store's actors (writer, fanout or reader) was stopped from outside (a Stop or PoisonPill sent to it); the store is closed"}

// readerStopped tells the supervisor that the reader (its sibling, not its
// child) stopped while the store was not closing.
type readerStopped struct{ who *actor.PID }

// childGone runs when the writer or the fanout has terminated, or the
// reader has stopped. Close and a
// stop of the supervisor set closing before their children stop; a child
// gone otherwise was stopped by a message from outside, and the store
// cannot go on without it: the supervisor stops itself, so the store ends
// as a store stopped from outside does (requests answered ErrClosed,
// subscribers told, Done closed), with a reason that says what happened.
func (s *supervisor) childGone(ctx actor.Context, who *actor.PID) {
	if s.sh.closing.Load() || s.sh.stopped.Load() != nil || s.reason != nil {
		return
	}
	s.sh.log.l.Error("batpak: the store's " + who.Id + " was stopped from outside; the store closes")
	s.reason = childStoppedOutside
	ctx.Stop(ctx.Self())
}

// stoppingFromOutside runs at the supervisor's Stopping: a stop that Close
// did not begin (the parent stopped) closes the store as Close would, so
// that Store calls get messages.ErrClosed from now on.
func (s *supervisor) stoppingFromOutside() {
	if s.sh.closing.CompareAndSwap(false, true) {
		s.outside = true
	}
}

// stoppedFromOutside runs at the supervisor's Stopped, once the writer and
// the fanout are gone: the engine's reads end, and Done is closed.
func (s *supervisor) stoppedFromOutside() {
	if !s.outside {
		return
	}
	s.sh.ops.unregister()
	s.sh.releaseEngine()
	reason := closedByStop
	if s.reason != nil {
		reason = s.reason
	}
	s.sh.stop(reason)
}

// endOnStop runs as the fanout stops for good: subscribers not told yet
// (the store was stopped from outside, not closed) get a
// *messages.SubscriptionEnded.
func (f *fanout) endOnStop(ctx actor.Context) {
	if f.st.done != nil {
		return
	}
	reason := f.sh.stopped.Load()
	if reason == nil {
		reason = closedByStop
	}
	f.end(ctx, reason)
}

// end tells every subscriber that no more notifications will come, and
// why, and forgets them: the store is closed or stopped for good.
func (f *fanout) end(ctx actor.Context, reason *messages.Error) {
	f.st.done = reason
	for _, s := range f.st.subs {
		ctx.Send(s.pid, &messages.SubscriptionEnded{Err: reason})
		ctx.Unwatch(s.pid)
		f.sh.ops.subs.remove(s.pid)
	}
	f.sh.subscribers.Add(-int64(len(f.st.subs)))
	clear(f.st.subs)
}
