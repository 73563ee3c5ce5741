package actors

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
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
)

var nilRequest = &messages.Error{Code: messages.CodeInvalidArgument, Message: "batpak writer: nil request"}

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

// writer is the actor that owns one storage engine. A new instance is made
// by each (re)start; it opens the engine in Started.
type writer struct {
	sh       *shared
	tel      *telemetry
	e        *storage.Engine
	open     group
	flushing bool    // a flush is in the mailbox
	inflight *flight // at most one group syncing
	closed   bool
	drained  int  // requests taken since Close began
	joined   bool // the message being handled joined the open group
}

func newWriter(sh *shared) actor.Producer {
	return func() actor.Actor { return &writer{sh: sh, tel: sh.tel} }
}

// Receive implements actor.Actor.
func (w *writer) Receive(ctx actor.Context) {
	w.joined = false
	defer w.answerCrash(ctx)
	switch m := ctx.Message().(type) {
	case *actor.Started:
		w.start()
	case *actor.Restarting, *actor.Stopping:
		w.abandon()
	case *actor.Stopped:
	case *messages.Append:
		if m == nil {
			w.reply(ctx, ctx.Sender(), &messages.AppendReply{Err: nilRequest})
			return
		}
		w.append(ctx, m)
	case *messages.AppendBatch:
		if m == nil {
			w.reply(ctx, ctx.Sender(), &messages.AppendBatchReply{Err: nilRequest})
			return
		}
		w.appendBatch(ctx, m)
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
	case *faults.Panic:
		panic(m.Reason)
	case *faults.Block:
		<-m.Release
	case *faults.PanicEvery:
		w.sh.storm, w.sh.seen = *m, 0
	default:
		w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Err: &messages.Error{
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
	f, cut, old := w.sh.restart, w.sh.cut, w.sh.lastSeg
	w.sh.restart, w.sh.cut = nil, nil
	w.sh.mu.Unlock()
	opts := w.sh.cfg.Storage
	opts.CutAfter = cut
	e, err := storage.Open(w.sh.cfg.Dir, opts)
	if f != nil {
		f.Span.SetAttributes(attribute.Int64("batpak.segment.old", int64(old)))
	}
	if err != nil {
		// Corruption (or any open failure) is not retried: a restart would
		// read the same bytes. The writer answers WriterStopped from now on.
		reason := &messages.Error{Code: messages.CodeWriterStopped,
			Message: "batpak writer stopped: cannot open the store: " + err.Error()}
		w.sh.stop(reason)
		w.sh.sys.Root.Send(w.sh.fanout, &ended{err: reason})
		if f != nil {
			f.Span.RecordError(err)
			f.Span.SetStatus(codes.Error, "reopen failed")
			f.Span.End()
		}
		w.sh.reportOpen(err)
		return
	}
	w.e = e
	w.sh.setEngine(e)
	if f != nil {
		f.Span.SetAttributes(attribute.Int64("batpak.segment.new", int64(e.WriterStats().ActiveSegment)),
			attribute.StringSlice("batpak.cut", e.Stats().Recovery.CutUnacknowledged))
		f.Span.End()
		w.tel.restarts.Add(context.Background(), 1)
	}
	w.sh.reportOpen(nil)
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
		return &messages.AppendBatchReply{Err: err}
	}
	return &messages.AppendReply{Err: err}
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
		span.RecordError(err)
		span.SetStatus(codes.Error, messages.CodeOf(err).String())
		span.End()
		w.reply(ctx, ctx.Sender(), &messages.AppendReply{Err: messages.ToError(err)})
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
		span.RecordError(err)
		span.SetStatus(codes.Error, messages.CodeOf(err).String())
		span.End()
		w.reply(ctx, ctx.Sender(), &messages.AppendBatchReply{Err: messages.ToError(err)})
		return
	}
	n := 0
	for i := range b.Items {
		n += len(b.Items[i].Payload)
	}
	w.join(ctx, waiter{to: ctx.Sender(), batch: true, batchRs: rs, span: span}, n)
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
	me := messages.ToError(err)
	for _, wt := range g.waiters {
		wt.span.SetStatus(codes.Error, me.Error())
		wt.span.End()
		w.reply(ctx, wt.to, failure(wt.batch, me))
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, "commit failed")
	span.End()
	panic(fmt.Errorf("batpak writer: commit failed, reopening: %w", err))
}

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
	w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Err: messages.ToError(err)})
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
	w.reply(ctx, ctx.Sender(), &messages.ErrorReply{Err: messages.ToError(err)})
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
	answer := func(g group) {
		for _, wt := range g.waiters {
			wt.span.SetStatus(codes.Error, crash.Message)
			wt.span.End()
			w.reply(ctx, wt.to, failure(wt.batch, crash))
		}
	}
	answer(w.open)
	w.open = group{}
	if f := w.inflight; f != nil {
		answer(f.g)
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
