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
	traced  int // waiters with a span (not noSpan)
}

// flight is a written group whose fsync runs on its own goroutine while the
// writer stages the next group (pipelined group commit).
type flight struct {
	p      *storage.Pending
	g      group
	span   trace.Span
	synced time.Duration
	err    error
	// done is closed once the fsync has returned (closedChan when it ran
	// inline on the writer).
	done chan struct{}
	// retained: the group was written with its payloads kept for the fanout.
	retained bool
}

// join adds a staged request to the open group. The group's first request
// makes the writer send itself a flush, so that every request already in
// the mailbox joins the group. A group that reaches its bounds closes at
// once; if the previous group is still syncing, the writer first waits for
// it (the open group never grows past its bounds: that is the writer's
// backpressure on its mailbox).
func (w *writer) join(ctx actor.Context, wt waiter, bytes int) {
	w.open.waiters = append(w.open.waiters, wt)
	w.open.bytes += bytes
	if wt.span != noSpan {
		w.open.traced++
	}
	w.taken = true
	if len(w.open.waiters) >= w.sh.cfg.MaxGroupEvents || w.open.bytes >= w.sh.cfg.MaxGroupBytes {
		if f := w.inflight; f != nil {
			<-f.done
			w.land(ctx) // lands f, then writes the open group
			return
		}
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
	w.open = group{waiters: w.spare} // the slice of the last group landed
	w.spare = nil
	span := noSpan
	if g.traced > 0 || w.tel.tracing() {
		_, span = w.tel.tracer.Start(context.Background(), SpanCommit)
		if span.IsRecording() {
			for _, wt := range g.waiters {
				span.AddLink(trace.Link{SpanContext: wt.span.SpanContext()})
			}
		}
	}
	retain := w.sh.subscribers.Load() > 0
	var p *storage.Pending
	var err error
	if retain {
		p, err = w.e.WriteRetaining() // subscribers get copies of the written bytes
	} else {
		p, err = w.e.Write()
	}
	if err != nil {
		w.fail(g, span, err)
	}
	f := &flight{p: p, g: g, span: span, retained: retain}
	w.inflight = f
	if len(g.waiters) == 1 {
		// A lone request: nobody else is waiting to join, so hopping to a
		// goroutine and back would only add latency.
		f.done = closedChan
		f.sync()
		w.land(ctx)
		return
	}
	f.done = make(chan struct{})
	go f.syncThenTell(w.sh.sys.Root, ctx.Self())
}

// closedChan is the done channel of a flight synced inline: nothing waits
// for it, and a crash during the inline fsync need not wait either.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// sync fsyncs the flight's group and notes how long it took.
func (f *flight) sync() {
	if f.p != nil { // nil: the group holds only replays of written events
		t0 := time.Now()
		f.err = f.p.Sync()
		f.synced = time.Since(t0)
	}
}

// syncThenTell runs on a goroutine of its own: it fsyncs, closes done and
// tells the writer.
func (f *flight) syncThenTell(root *actor.RootContext, writer *actor.PID) {
	f.sync()
	close(f.done)
	root.Send(writer, &synced{f: f})
}

// land publishes the group in flight once its fsync returned, answers its
// callers, hands its events to the fanout, and writes the next group.
func (w *writer) land(ctx actor.Context) {
	f := w.inflight
	w.inflight = nil
	<-f.done // already closed; orders the sync goroutine's writes before ours
	// events stays nil unless someone subscribes.
	var events []messages.Event
	n, err := 0, f.err
	if err == nil && f.p != nil {
		n = f.p.Events()
		events, err = w.publish(f.p)
	}
	if err != nil {
		w.fail(f.g, f.span, err)
	}
	// Spans and metrics first, so that whoever gets a reply also sees them.
	bg := context.Background()
	w.tel.appends.Add(bg, int64(n), w.tel.store)
	w.tel.groupSize.Record(bg, int64(n), w.tel.store)
	w.tel.fsync.Record(bg, f.synced.Seconds(), w.tel.store)
	if f.span.IsRecording() {
		f.span.SetAttributes(attribute.Int("batpak.group.requests", len(f.g.waiters)),
			attribute.Int("batpak.group.events", n), attribute.Int("batpak.group.bytes", f.g.bytes),
			attribute.Float64("batpak.fsync_ms", float64(f.synced)/float64(time.Millisecond)))
	}
	f.span.End()
	for _, wt := range f.g.waiters {
		if !wt.batch && wt.span.IsRecording() { // the receipt is final only now
			wt.span.SetAttributes(attribute.Int64("batpak.sequence", int64(wt.receipt.Sequence)),
				attribute.Bool("batpak.replayed", wt.receipt.Replayed))
		}
		wt.span.End()
		if wt.span != noSpan {
			w.rememberSpan(wt)
		}
		if wt.batch {
			w.reply(ctx, wt.to, &messages.AppendBatchReply{Receipts: wt.batchRs})
		} else {
			w.reply(ctx, wt.to, &messages.AppendReply{Receipt: wt.receipt})
		}
	}
	if len(events) > 0 {
		// A subscriber that came while the group was written without its
		// payloads is told of a gap instead (it reads them from the log).
		w.sh.ops.commits.add(events)
		ctx.Send(w.sh.fanout, &committed{events: events, gap: !f.retained})
	}
	clear(f.g.waiters) // keeps no caller's PID or receipts alive
	w.spare = f.g.waiters[:0]
	w.dirty = w.dirty || n > 0
	w.redecide(ctx)
	w.closeGroup(ctx)
	w.armSyncTimer(ctx)
}

// publish makes a synced group visible to readers. With subscribers it
// returns the group's events for the fanout; without, it returns nil and
// the engine keeps the group's slices for the next group (Publish), so an
// append nobody subscribes to hands nothing on. The count is read under
// subMu, which a subscriber's registration holds while it counts itself
// and takes its first sequence: a subscriber not counted here registers
// after the group is visible, and so is promised only later events.
func (w *writer) publish(p *storage.Pending) ([]messages.Event, error) {
	w.sh.subMu.Lock()
	defer w.sh.subMu.Unlock()
	if w.sh.subscribers.Load() == 0 {
		return nil, w.e.Publish(p)
	}
	return w.e.PublishEvents(p)
}

// fail records a group whose write, fsync or publish failed, then panics:
// the engine refuses writes until reopened, which a restart does. The
// crash handler (answerCrash) cuts what the group wrote and answers its
// callers with err.
func (w *writer) fail(g group, span trace.Span, err error) {
	w.failed = &failedGroup{g: g, err: err}
	span.RecordError(err)
	span.SetStatus(codes.Error, "commit failed")
	span.End()
	panic(fmt.Errorf("batpak writer: commit failed, reopening: %w", err))
}

// failedGroup is a group whose commit failed, for the crash handler.
type failedGroup struct {
	g   group
	err error
}

// answerGroup ends the spans of a group's callers with an error status and
// answers each of them with err.
func (w *writer) answerGroup(ctx actor.Context, g group, err *messages.Error) {
	w.sh.noteCrashed(g)
	for _, wt := range g.waiters {
		wt.span.SetStatus(codes.Error, err.Error())
		wt.span.End()
		w.reply(ctx, wt.to, failure(wt.batch, err))
	}
}

// rememberSpan notes the span of a landed request for the reactions to its
// events (see spanMemory). A replay's receipt names an event appended
// earlier, under another span: that one stays.
func (w *writer) rememberSpan(wt waiter) {
	sc := wt.span.SpanContext()
	if !wt.batch {
		if !wt.receipt.Replayed {
			w.sh.spans.remember(wt.receipt.EventID, sc)
		}
		return
	}
	for _, r := range wt.batchRs {
		if !r.Replayed {
			w.sh.spans.remember(r.EventID, sc)
		}
	}
}
