package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// refuse answers a request the writer cannot take, or returns false.
func (w *writer) refuse(ctx actor.Context, batch bool) bool {
	var err *messages.Error
	switch {
	case w.sh.stopped.Load() != nil:
		err = w.sh.stopped.Load()
	case w.closed:
		err = &messages.Error{Code: messages.CodeShuttingDown, Message: "batpak writer: the store is shutting down"}
	case w.sh.closing.Load() && w.drained >= w.sh.cfg.DrainLimit:
		err = &messages.Error{Code: messages.CodeShuttingDown, Message: fmt.Sprintf(
			"batpak writer: the store is shutting down and has drained its limit of %d requests", w.sh.cfg.DrainLimit)}
	case w.e == nil:
		err = &messages.Error{Code: messages.CodeWriterStopped, Message: "batpak writer: no engine"}
	default:
		if w.sh.closing.Load() {
			w.drained++
		}
		return false
	}
	w.reply(ctx, ctx.Sender(), failure(batch, err))
	return true
}

func failure(batch bool, err *messages.Error) any {
	if batch {
		return &messages.AppendBatchReply{Failure: err}
	}
	return &messages.AppendReply{Failure: err}
}

func (w *writer) append(ctx actor.Context, a *messages.Append) {
	if w.refuse(ctx, false) {
		return
	}
	w.stormStep()
	_, span := w.tel.tracer.Start(w.tel.parent(ctx, a.Trace), SpanAppend)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("batpak.entity", a.Coordinate.Entity), attribute.String("batpak.scope", a.Coordinate.Scope))
	}
	r, err := w.e.Append(a)
	if err != nil {
		w.refused(ctx, span, err, false)
		return
	}
	if span.IsRecording() {
		span.SetAttributes(attribute.Int64("batpak.sequence", int64(r.Sequence)), attribute.Bool("batpak.replayed", r.Replayed))
	}
	w.join(ctx, waiter{to: ctx.Sender(), receipt: r, span: span}, len(a.Payload))
}

func (w *writer) appendBatch(ctx actor.Context, b *messages.AppendBatch) {
	if w.refuse(ctx, true) {
		return
	}
	_, span := w.tel.tracer.Start(w.tel.parent(ctx, b.Trace), SpanAppend)
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("batpak.batch.items", len(b.Items)))
	}
	rs, err := w.e.AppendBatch(b)
	if err != nil {
		w.refused(ctx, span, err, true)
		return
	}
	n := 0
	for i := range b.Items {
		n += len(b.Items[i].Payload)
	}
	w.join(ctx, waiter{to: ctx.Sender(), batch: true, batchRs: rs, span: span}, n)
}

// refused answers a request the engine refused (validation, CAS, partial
// replay) at once, ending its span with the error.
func (w *writer) refused(ctx actor.Context, span trace.Span, err error, batch bool) {
	span.RecordError(err)
	span.SetStatus(codes.Error, messages.CodeOf(err).String())
	span.End()
	w.reply(ctx, ctx.Sender(), failure(batch, messages.ToError(err)))
}

// stormStep panics on every N-th append of a test-only crash storm.
func (w *writer) stormStep() {
	s := &w.sh.storm
	if s.Times <= 0 || s.N <= 0 {
		return
	}
	if w.sh.seen++; w.sh.seen%s.N == 0 {
		s.Times--
		panic(fmt.Sprintf("crash storm: append %d", w.sh.seen))
	}
}
