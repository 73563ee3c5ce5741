package actors

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// waiter is a caller whose reply waits for its group's commit.
type waiter struct {
	to      *actor.PID
	batch   bool
	receipt messages.Receipt
	batchRs []messages.Receipt
	span    trace.Span
}

// group is a commit group: the callers whose appends are staged together.
type group struct {
	waiters []waiter
	bytes   int
}

// flight is a written group whose fsync runs on its own goroutine while the
// writer stages the next group (pipelined group commit).
type flight struct {
	p       *storage.Pending
	g       group
	span    trace.Span
	started time.Time
	synced  time.Duration
	err     error
	done    chan struct{}
}

// join adds a staged request to the open group. The group's first request
// makes the writer send itself a flush, so that every request already in
// the mailbox joins the group; a group that reaches its bounds closes at
// once.
func (w *writer) join(ctx actor.Context, wt waiter, bytes int) {
	w.open.waiters = append(w.open.waiters, wt)
	w.open.bytes += bytes
	w.joined = true
	if len(w.open.waiters) >= w.sh.cfg.MaxGroupEvents || w.open.bytes >= w.sh.cfg.MaxGroupBytes {
		w.closeGroup(ctx)
		return
	}
	if !w.flushing {
		w.flushing = true
		ctx.Send(ctx.Self(), &flush{})
	}
}

// closeGroup writes the open group and starts its fsync on a goroutine of
// its own. While one group syncs, the next one accumulates; it is written
// when the first one lands.
func (w *writer) closeGroup(ctx actor.Context) {
	if len(w.open.waiters) == 0 || w.inflight != nil {
		return
	}
	g := w.open
	w.open = group{}
	_, span := w.tel.tracer.Start(context.Background(), SpanCommit)
	if span.IsRecording() {
		for _, wt := range g.waiters {
			span.AddLink(trace.Link{SpanContext: wt.span.SpanContext()})
		}
	}
	p, err := w.e.Write()
	if err != nil {
		w.fail(ctx, g, span, err)
	}
	f := &flight{p: p, g: g, span: span, started: time.Now(), done: make(chan struct{})}
	w.inflight = f
	sync := func() {
		if p != nil { // nil: the group holds only replays of written events
			t0 := time.Now()
			f.err = p.Sync()
			f.synced = time.Since(t0)
		}
		close(f.done)
	}
	if len(g.waiters) == 1 {
		// A lone request: nobody else is waiting to join, so hopping to a
		// goroutine and back would only add latency.
		sync()
		w.land(ctx)
		return
	}
	self, root := ctx.Self(), w.sh.sys.Root
	go func() {
		sync()
		root.Send(self, &synced{f: f})
	}()
}

// land publishes the group in flight once its fsync returned, answers its
// callers, hands its events to the fanout, and writes the next group.
func (w *writer) land(ctx actor.Context) {
	f := w.inflight
	w.inflight = nil
	<-f.done // already closed; orders the sync goroutine's writes before ours
	var events []messages.Event
	err := f.err
	if err == nil && f.p != nil {
		events, err = w.e.PublishEvents(f.p)
	}
	if err != nil {
		w.fail(ctx, f.g, f.span, err)
	}
	// Spans and metrics first, so that whoever gets a reply also sees them.
	bg := context.Background()
	w.tel.appends.Add(bg, int64(len(events)))
	w.tel.groupSize.Record(bg, int64(len(events)))
	w.tel.fsyncMS.Record(bg, float64(f.synced)/float64(time.Millisecond))
	if f.span.IsRecording() {
		f.span.SetAttributes(attribute.Int("batpak.group.requests", len(f.g.waiters)),
			attribute.Int("batpak.group.events", len(events)), attribute.Int("batpak.group.bytes", f.g.bytes),
			attribute.Float64("batpak.fsync_ms", float64(f.synced)/float64(time.Millisecond)))
	}
	f.span.End()
	for _, wt := range f.g.waiters {
		wt.span.End()
		if wt.batch {
			w.reply(ctx, wt.to, &messages.AppendBatchReply{Receipts: wt.batchRs})
		} else {
			w.reply(ctx, wt.to, &messages.AppendReply{Receipt: wt.receipt})
		}
	}
	if len(events) > 0 && w.sh.subscribers.Load() > 0 {
		ctx.Send(w.sh.fanout, &committed{events: events})
	}
	w.closeGroup(ctx)
}

// fail answers a group whose write, fsync or publish failed, then panics:
// the engine refuses writes until reopened, which a restart does.
func (w *writer) fail(ctx actor.Context, g group, span trace.Span, err error) {
	w.answerGroup(ctx, g, messages.ToError(err))
	span.RecordError(err)
	span.SetStatus(codes.Error, "commit failed")
	span.End()
	panic(fmt.Errorf("batpak writer: commit failed, reopening: %w", err))
}

// answerGroup ends the spans of a group's callers with an error status and
// answers each of them with err.
func (w *writer) answerGroup(ctx actor.Context, g group, err *messages.Error) {
	for _, wt := range g.waiters {
		wt.span.SetStatus(codes.Error, err.Error())
		wt.span.End()
		w.reply(ctx, wt.to, failure(wt.batch, err))
	}
}
