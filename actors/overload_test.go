package actors

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// appendReplyErr is the error an append reply carries, or nil.
func appendReplyErr(res any) error {
	switch r := res.(type) {
	case *messages.AppendReply:
		if err := r.Err(); err != nil {
			return err
		}
	case *messages.AppendBatchReply:
		if err := r.Err(); err != nil {
			return err
		}
	case *messages.ErrorReply:
		if err := r.Err(); err != nil {
			return err
		}
	}
	return nil
}

// metricsOf collects the reader once: the gauges' values and the counters'
// sums (over all attributes), by name.
func metricsOf(t testing.TB, r *sdkmetric.ManualReader) map[string]int64 {
	m, err := collect(r)
	require.NoError(t, err)
	return m
}

func collect(r *sdkmetric.ManualReader) (map[string]int64, error) {
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] += p.Value
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] += p.Value
				}
			}
		}
	}
	return out, nil
}

func meterWith(r *sdkmetric.ManualReader) *sdkmetric.MeterProvider {
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
}

// block makes the writer wait until the returned function is called.
func block(f *fixture) (release func()) {
	ch := make(chan struct{})
	f.sys.Root.Send(f.store.Writer(), &faults.Block{Release: ch})
	return func() { close(ch) }
}

// flooder is an application actor that sends n appends with ctx.Request in
// one loop, without waiting for any reply, then counts the replies. It
// reads the queue-depth gauge every few sends and replies, keeping the
// largest value seen.
type flooder struct {
	writer *actor.PID
	n      int
	reader *sdkmetric.ManualReader

	maxDepth   int64
	collectErr error
	receipts   []messages.Receipt
	overloaded atomic.Int64
	other      []error
	sent       chan struct{} // closed after the loop
	refused    chan struct{} // closed when refusedWant ErrOverloaded replies are in
	refusedWnt int64
	done       chan struct{} // closed when every request is answered
	answered   int
}

func (f *flooder) sample() {
	m, err := collect(f.reader)
	if err != nil {
		f.collectErr = err
	}
	f.maxDepth = max(f.maxDepth, m["batpak.writer.queue.events"])
}

func (f *flooder) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		for i := 0; i < f.n; i++ {
			ctx.Request(f.writer, &messages.Append{Coordinate: coord("flood/" + strconv.Itoa(i%16)), Kind: kind,
				Payload: []byte(strconv.Itoa(i))})
			if i%50 == 0 {
				f.sample()
			}
		}
		f.sample()
		close(f.sent)
	case *messages.AppendReply:
		switch err := appendReplyErr(m); {
		case err == nil:
			f.receipts = append(f.receipts, m.Receipt)
		case errors.Is(err, messages.ErrOverloaded):
			if f.overloaded.Add(1) == f.refusedWnt {
				close(f.refused)
			}
		default:
			f.other = append(f.other, err)
		}
		if f.answered++; f.answered%50 == 0 {
			f.sample()
		}
		if f.answered == f.n {
			f.sample()
			close(f.done)
		}
	}
}

// wait waits for ch, failing the test after a generous guard.
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// An actor floods the writer with 10x its bound while the writer is
// blocked: exactly the bound is queued and every other request is refused
// at once (the blocked writer cannot be the one answering); once released,
// every request has its answer, every receipt is in the log and nothing
// refused is; the queue-depth gauge never shows more than the bound.
func TestFloodIsBoundedAndEveryRequestAnswered(t *testing.T) {
	const bound, n = 500, 5000
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MaxQueuedEvents: bound, MeterProvider: meterWith(reader)})
	release := block(f)
	fl := &flooder{writer: f.store.Writer(), n: n, reader: reader, sent: make(chan struct{}),
		refused: make(chan struct{}), refusedWnt: n - bound, done: make(chan struct{})}
	f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return fl }))

	wait(t, fl.sent, "the flood")
	wait(t, fl.refused, "the refusals")
	m := metricsOf(t, reader)
	require.Equal(t, int64(bound), m["batpak.writer.queue.events"], "exactly the bound is queued")
	var queuedBytes int64
	for i := 0; i < bound; i++ {
		queuedBytes += int64(len(strconv.Itoa(i)))
	}
	require.Equal(t, queuedBytes, m["batpak.writer.queue.bytes"])
	require.Equal(t, int64(n-bound), m["batpak.writer.overloaded"], "the rest refused at once")

	release()
	wait(t, fl.done, "every reply")
	require.Empty(t, fl.other)
	require.Equal(t, int64(n-bound), fl.overloaded.Load())
	require.Len(t, fl.receipts, bound)
	seen := map[int]bool{}
	for _, r := range fl.receipts {
		ev, err := f.store.Get(r.EventID)
		require.NoError(t, err, "every receipt is in the log")
		i, err := strconv.Atoi(string(ev.Payload))
		require.NoError(t, err)
		require.Less(t, i, bound, "the first requests were queued, the later ones refused")
		seen[i] = true
	}
	require.Len(t, seen, bound)
	st, err := f.store.Stats()
	require.NoError(t, err)
	require.Equal(t, bound, st.Events, "nothing refused is in the log")

	require.NoError(t, fl.collectErr)
	require.LessOrEqual(t, fl.maxDepth, int64(bound), "the queue never exceeds its bound")
	require.Equal(t, int64(bound), fl.maxDepth)
	m = metricsOf(t, reader)
	require.Zero(t, m["batpak.writer.queue.events"])
	require.Zero(t, m["batpak.writer.queue.bytes"])
}

// fill queues n appends behind a blocked writer and returns their futures.
func fill(f *fixture, n int, entity string) []*actor.Future {
	futs := make([]*actor.Future, n)
	for i := range futs {
		futs[i] = f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord(entity), Kind: kind,
			Payload: []byte("q")}, 60*time.Second)
	}
	return futs
}

func requireReceipts(t *testing.T, futs []*actor.Future) {
	t.Helper()
	for _, fut := range futs {
		res, err := fut.Result()
		require.NoError(t, err)
		require.NoError(t, appendReplyErr(res))
	}
}

// waiting reports once Store.Append has been refused and waits for room.
func waiting(f *fixture) func() bool {
	return func() bool { return f.store.sh.adm.armed.Load() }
}

// Store.Append under overload waits for room instead of failing, and
// succeeds once the writer drains its queue; with its context cancelled
// while it waits, it returns ctx.Err() and writes nothing.
func TestStoreAppendWaitsForRoom(t *testing.T) {
	const bound = 4
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MaxQueuedEvents: bound, MeterProvider: meterWith(reader)})

	release := block(f)
	futs := fill(f, bound, "queued")
	got := make(chan error, 1)
	var r messages.Receipt
	go func() {
		var err error
		r, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("waiter"), Kind: kind, Payload: []byte("w")})
		got <- err
	}()
	require.Eventually(t, waiting(f), 10*time.Second, time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("Append returned while the queue was full: %v", err)
	default:
	}
	release()
	require.NoError(t, <-got)
	ev, err := f.store.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, "w", string(ev.Payload))
	requireReceipts(t, futs)
	require.GreaterOrEqual(t, metricsOf(t, reader)["batpak.writer.overloaded"], int64(1))

	// Cancelled while waiting.
	release = block(f)
	futs = fill(f, bound, "queued")
	c, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := f.store.Append(c, &messages.Append{Coordinate: coord("cancelled"), Kind: kind})
		got <- err
	}()
	require.Eventually(t, waiting(f), 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-got:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Append did not return after its context was cancelled")
	}
	release()
	requireReceipts(t, futs)
	evs, err := f.store.Stream(coord("cancelled"), 1)
	require.NoError(t, err)
	require.Empty(t, evs, "the cancelled append was never queued")
	st, err := f.store.Stats()
	require.NoError(t, err)
	require.Equal(t, 2*bound+1, st.Events)
}

// With no deadline in its context, Store.Append waits for room at most
// Config.RequestTimeout, then returns ErrOverloaded.
func TestStoreAppendGivesUpAfterRequestTimeout(t *testing.T) {
	f := spawn(t, Config{MaxQueuedEvents: 1, RequestTimeout: 200 * time.Millisecond})
	release := block(f)
	queued := fill(f, 1, "queued")
	_, err := f.store.Append(context.Background(), &messages.Append{Coordinate: coord("refused"), Kind: kind})
	require.ErrorIs(t, err, messages.ErrOverloaded)
	require.Contains(t, err.Error(), "MaxQueuedEvents")
	release()
	requireReceipts(t, queued)
}

// The bytes bound refuses like the events bound; a batch larger than the
// bound is refused behind other requests but admitted into an empty queue;
// messages that are not appends always pass; an append without a sender
// that does not fit is dropped, and counted.
func TestAdmissionBytesBatchesAndOtherMessages(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MaxQueuedEvents: 4, MaxQueuedBytes: 1000, MeterProvider: meterWith(reader)})
	release := block(f)
	big := make([]byte, 600)
	first := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("b"), Kind: kind, Payload: big}, 60*time.Second)
	res, err := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("b"), Kind: kind, Payload: big}, 60*time.Second).Result()
	require.NoError(t, err)
	require.ErrorIs(t, appendReplyErr(res), messages.ErrOverloaded, "600+600 bytes exceed the 1000-byte bound")
	require.Contains(t, appendReplyErr(res).Error(), "MaxQueuedBytes")

	items := make(messages.BatchItems, 6)
	for i := range items {
		items[i] = messages.BatchItem{Coordinate: coord("batch"), Kind: kind}
	}
	res, err = f.sys.Root.RequestFuture(f.store.Writer(), &messages.AppendBatch{Items: items}, 60*time.Second).Result()
	require.NoError(t, err)
	require.IsType(t, &messages.AppendBatchReply{}, res)
	require.ErrorIs(t, appendReplyErr(res), messages.ErrOverloaded, "6 events behind a queued one exceed the bound of 4")

	f.sys.Root.Send(f.store.Writer(), &messages.Append{Coordinate: coord("dropped"), Kind: kind, Payload: big})
	unknown := f.sys.Root.RequestFuture(f.store.Writer(), "not a request", 60*time.Second)
	m := metricsOf(t, reader)
	require.Equal(t, int64(1), m["batpak.writer.queue.events"])
	require.Equal(t, int64(600), m["batpak.writer.queue.bytes"])
	require.Equal(t, int64(3), m["batpak.writer.overloaded"])
	require.Equal(t, int64(1), f.store.sh.adm.depth.dropped.Load())

	release()
	requireReceipts(t, []*actor.Future{first})
	res, err = unknown.Result()
	require.NoError(t, err, "queued, not refused")
	require.ErrorIs(t, appendReplyErr(res), messages.ErrUnknownMessage)

	// Into an empty queue, the batch larger than the bound is admitted.
	rs, err := f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: items})
	require.NoError(t, err)
	require.Len(t, rs, 6)
	evs, err := f.store.Stream(coord("dropped"), 1)
	require.NoError(t, err)
	require.Empty(t, evs)
}

// The counts go down with every request the writer takes, also the ones it
// panics on, and a restarted writer keeps the same queue and counts.
func TestQueueCountsSurviveWriterCrashes(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MaxQueuedEvents: 64, Policy: supervision.Bounded(5, time.Minute), MeterProvider: meterWith(reader)})
	f.sys.Root.Send(f.store.Writer(), &faults.PanicEvery{N: 3, Times: 2})
	release := block(f)
	futs := fill(f, 10, "crashy")
	require.Equal(t, int64(10), metricsOf(t, reader)["batpak.writer.queue.events"])
	release()
	var crashed int
	for _, fut := range futs {
		res, err := fut.Result()
		if errors.Is(err, actor.ErrTimeout) {
			t.Fatal("a request was not answered")
		}
		require.NoError(t, err)
		if appendReplyErr(res) != nil {
			require.ErrorIs(t, appendReplyErr(res), messages.ErrWriterCrashed)
			crashed++
		}
	}
	require.Positive(t, crashed)
	require.Equal(t, 2, f.store.Restarts())
	m := metricsOf(t, reader)
	require.Zero(t, m["batpak.writer.queue.events"])
	require.Zero(t, m["batpak.writer.queue.bytes"])
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("crashy"), Kind: kind})
	require.NoError(t, err)
}

type nopInvoker struct{}

func (nopInvoker) InvokeSystemMessage(any)  {}
func (nopInvoker) InvokeUserMessage(any)    {}
func (nopInvoker) EscalateFailure(any, any) {}

// The writer's mailbox's cost per append (post through the admission,
// then take on the same goroutine), next to protoactor's unbounded mailbox
// alone:
//
//	go test ./actors -run '^$' -bench AdmissionMailbox
func BenchmarkAdmissionMailbox(b *testing.B) {
	msg := &actor.MessageEnvelope{Message: &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: make([]byte, 256)},
		Sender: actor.NewPID("local", "x")}
	b.Run("mailbox=unbounded", func(b *testing.B) {
		mb := actor.Unbounded()()
		mb.RegisterHandlers(nopInvoker{}, actor.NewSynchronizedDispatcher(300))
		b.ReportAllocs()
		for b.Loop() {
			mb.PostUserMessage(msg)
		}
	})
	b.Run("mailbox=writer", func(b *testing.B) {
		sh := newShared(Config{}.withDefaults())
		mb := newWriterMailbox(newAdmission(sh))
		mb.RegisterHandlers(nopInvoker{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			mb.PostUserMessage(msg)
			mb.drain() // what its goroutine does
		}
	})
}
