package actors

import (
	"errors"
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// request is an append or a batch the writer is deciding: the message, who
// gets the answer, and its span.
type request struct {
	msg  any // *messages.Append or *messages.AppendBatch
	to   *actor.PID
	span trace.Span
}

func (r *request) batch() bool { _, ok := r.msg.(*messages.AppendBatch); return ok }

// refuse answers a request the writer cannot take, or returns false.
func (w *writer) refuse(ctx actor.Context, to *actor.PID, batch bool) bool {
	var err *messages.Error
	switch {
	case w.sh.stopped.Load() != nil:
		err = w.sh.stopped.Load()
	case w.closed:
		err = errClosed
	case w.sh.closing.Load() && w.drained >= w.sh.cfg.DrainLimit:
		err = &messages.Error{Code: messages.CodeClosed, Message: fmt.Sprintf(
			"batpak writer: the store is closing and has taken its limit of %d requests since Close began", w.sh.cfg.DrainLimit)}
	case w.e == nil:
		err = &messages.Error{Code: messages.CodeWriterStopped, Message: "batpak writer: no engine"}
	default:
		if w.sh.closing.Load() {
			w.drained++
		}
		return false
	}
	w.reply(ctx, to, failure(batch, err))
	return true
}

func failure(batch bool, err *messages.Error) any {
	if batch {
		return &messages.AppendBatchReply{Failure: err}
	}
	return &messages.AppendReply{Failure: err}
}

// receive takes a new append or batch from the mailbox.
func (w *writer) receive(ctx actor.Context, msg any, carrier messages.TraceCarrier) {
	r := request{msg: msg, to: ctx.Sender()}
	if w.refuse(ctx, r.to, r.batch()) {
		return
	}
	if w.sh.storm != nil { // a test-only crash storm (actorstest.CrashWriterEvery)
		w.stormStep()
	}
	r.span = w.tel.startAppend(ctx, carrier, &w.sh.spans, msg)
	w.decide(ctx, r)
}

// decide runs the engine's append protocol for r: a receipt joins the open
// group (answered when it is durable); a refusal is answered at once; an
// answer that depends on groups not yet published (storage.ErrUndecided: a
// conflict or a replay caused by events that a crash could still cut) is
// deferred and decided again when the next group lands, so that no caller
// is ever told of an event that never came to exist.
func (w *writer) decide(ctx actor.Context, r request) {
	var (
		receipt  messages.Receipt   // of an Append
		receipts []messages.Receipt // of an AppendBatch
		bytes    int
		err      error
	)
	switch m := r.msg.(type) {
	case *messages.Append:
		if r.span.IsRecording() {
			r.span.SetAttributes(attribute.String("batpak.entity", m.Coordinate.Entity), attribute.String("batpak.scope", m.Coordinate.Scope),
				attribute.String("batpak.kind", m.Kind.String()))
			if name := w.kindName(m.Kind); name != "" {
				r.span.SetAttributes(attribute.String("batpak.kind.name", name))
			}
		}
		receipt, err = w.e.Append(m)
		bytes = len(m.Payload)
	case *messages.AppendBatch:
		if r.span.IsRecording() {
			r.span.SetAttributes(attribute.Int("batpak.batch.items", len(m.Items)))
			if c, ok := oneCoordinate(m.Items); ok { // a batch on one entity names it, as an append does
				r.span.SetAttributes(attribute.String("batpak.entity", c.Entity), attribute.String("batpak.scope", c.Scope))
			}
		}
		receipts, err = w.e.AppendBatch(m)
		for i := range m.Items {
			bytes += len(m.Items[i].Payload)
		}
	}
	w.deciding = nil // from here on r is answered through the group, the deferred list or at once
	switch {
	case errors.Is(err, storage.ErrUndecided):
		w.deferred = append(w.deferred, r)
		w.taken = true
		return
	case err != nil:
		w.refused(ctx, r, err)
		return
	}
	wt := waiter{to: r.to, span: r.span}
	if r.batch() {
		wt.batch, wt.batchRs = true, receipts
	} else {
		wt.receipt = receipt // its span gets the sequence when the group lands (a crash may cut it)
	}
	w.join(ctx, wt, bytes)
}

// redecide decides the deferred requests again, in their order, now that a
// group has landed. Those deferred again wait for the next landing. A
// landing inside (a full group waits for the one in flight) leaves the rest
// to this loop.
func (w *writer) redecide(ctx actor.Context) {
	if len(w.todo) > 0 || w.deciding != nil {
		return
	}
	w.todo, w.deferred = w.deferred, nil
	for len(w.todo) > 0 {
		r := w.todo[0]
		w.todo = w.todo[1:]
		w.deciding = &r
		w.decide(ctx, r)
	}
}

// refused answers a request the engine refused (validation, CAS, partial
// replay, idempotency conflict, a policy gate's denial) at once, ending its
// span with the error; a denial's span names the gates that denied (in its
// status and in the batpak.gates.denied attribute).
func (w *writer) refused(ctx actor.Context, r request, err error) {
	r.span.RecordError(err)
	status := messages.CodeOf(err).String()
	var de *messages.DenialError
	if errors.As(err, &de) {
		gates := de.Gates()
		status += " by gate " + strings.Join(gates, ", ")
		r.span.SetAttributes(attribute.StringSlice("batpak.gates.denied", gates))
	}
	r.span.SetStatus(codes.Error, status)
	r.span.End()
	w.reply(ctx, r.to, failure(r.batch(), messages.ToError(err)))
}

// oneCoordinate returns the coordinate all items share, if they do.
func oneCoordinate(items []messages.BatchItem) (messages.Coordinate, bool) {
	if len(items) == 0 {
		return messages.Coordinate{}, false
	}
	c := items[0].Coordinate
	for i := 1; i < len(items); i++ {
		if items[i].Coordinate != c {
			return messages.Coordinate{}, false
		}
	}
	return c, true
}

// kindName is Config.KindName's name for k, or "" (no namer, or a namer
// that panics: a name is not worth a writer crash).
func (w *writer) kindName(k messages.EventKind) (name string) {
	f := w.sh.cfg.KindName
	if f == nil {
		return ""
	}
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	return f(k)
}
