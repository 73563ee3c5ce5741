package actors

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/benchutil"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Durable appends through the writer actor, from concurrent requesting
// actors, next to the disk's own limit (write+fdatasync of one 256-byte
// record) measured in the same run:
//
//	go test ./actors -run '^$' -bench ActorAppend -benchtime 5s
const (
	benchPayload  = 256
	benchEntities = 1000
)

func BenchmarkActorAppend(b *testing.B) {
	b.Run(fmt.Sprintf("baseline=fdatasync/records=1/payload=%d", benchPayload), func(b *testing.B) {
		benchutil.FdatasyncLoop(b, 1, benchPayload)
	})
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("requesters=%d/payload=%d/subscribers=0", n, benchPayload), func(b *testing.B) {
			runRequesters(b, benchRun{requesters: n})
		})
	}
	b.Run(fmt.Sprintf("requesters=256/payload=%d/subscribers=8", benchPayload), func(b *testing.B) {
		runRequesters(b, benchRun{requesters: 256, subscribers: 8})
	})
}

// Allocations per append through the writer, by tracing setup: the store's
// tracer provider (none: otel's global one with no provider set; sdk: the
// OpenTelemetry SDK's, with no processor) and whether the requests carry a
// caller's trace context. Without a provider, an untraced append makes no
// span at all. Fsyncs are out of the way (SyncNone), one requester:
//
//	go test ./actors -run '^$' -bench AppendSpans -benchmem
func BenchmarkAppendSpans(b *testing.B) {
	caller, span := sdktrace.NewTracerProvider().Tracer("caller").Start(context.Background(), "caller")
	defer span.End()
	carrier := messages.TraceCarrier{}
	propagation.TraceContext{}.Inject(caller, carrier)
	for _, p := range []struct {
		name string
		tp   trace.TracerProvider
	}{{"none", nil}, {"sdk", sdktrace.NewTracerProvider()}} {
		for _, traced := range []bool{false, true} {
			run := benchRun{requesters: 1, cfg: Config{TracerProvider: p.tp, Storage: storage.Options{SyncMode: storage.SyncNone}}}
			name := "untraced"
			if traced {
				run.carrier, name = carrier, "traced"
			}
			b.Run(fmt.Sprintf("provider=%s/caller=%s", p.name, name), func(b *testing.B) {
				b.ReportAllocs()
				runRequesters(b, run)
			})
		}
	}
}

// benchRun is one run of requesting actors against a fresh store.
type benchRun struct {
	requesters  int
	subscribers int
	cfg         Config                // Dir is set by runRequesters
	carrier     messages.TraceCarrier // the requests' Trace
}

// requester is an application actor that appends its quota one request at
// a time (the next one leaves when the previous receipt arrives).
type requester struct {
	writer  *actor.PID
	first   int // its first entity
	n, i    int
	payload []byte
	sent    time.Time
	carrier messages.TraceCarrier
	lat     benchutil.Latency
	failed  *atomic.Int64
	done    chan<- *benchutil.Latency
}

var benchCoords = func() []messages.Coordinate {
	cs := make([]messages.Coordinate, benchEntities)
	for i := range cs {
		cs[i] = messages.Coordinate{Entity: fmt.Sprintf("order/%d", i), Scope: "bench"}
	}
	return cs
}()

var benchKind = messages.MustKind(1, 1)

func (r *requester) send(ctx actor.Context) {
	r.sent = time.Now()
	ctx.Request(r.writer, &messages.Append{Coordinate: benchCoords[(r.first+r.i)%benchEntities], Kind: benchKind, Payload: r.payload, Trace: r.carrier})
}

func (r *requester) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if r.n == 0 {
			r.done <- &r.lat
			return
		}
		r.send(ctx)
	case *messages.AppendReply:
		r.lat.Add(time.Since(r.sent))
		if m.Err() != nil {
			r.failed.Add(1)
		}
		if r.i++; r.i < r.n {
			r.send(ctx)
		} else {
			r.done <- &r.lat
		}
	}
}

// counter is a subscriber that counts what it gets.
type counter struct{ events *atomic.Int64 }

func (c *counter) Receive(ctx actor.Context) {
	if n, ok := ctx.Message().(*messages.Notification); ok {
		c.events.Add(int64(len(n.Events)))
	}
}

func runRequesters(b *testing.B, run benchRun) {
	n, subscribers := run.requesters, run.subscribers
	sys := quietSystem()
	defer sys.Shutdown()
	cfg := run.cfg
	cfg.Dir = b.TempDir()
	s, err := Spawn(sys, cfg)
	if err != nil {
		b.Fatal(err)
	}
	var delivered atomic.Int64
	for i := 0; i < subscribers; i++ {
		if _, _, err := s.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &counter{events: &delivered} }), storage.Filter{}, 0); err != nil {
			b.Fatal(err)
		}
	}
	payload := make([]byte, benchPayload)
	done := make(chan *benchutil.Latency, n)
	var failed atomic.Int64
	b.ResetTimer()
	cpu0, cpuKnown := processCPU()
	start := time.Now()
	for i := 0; i < n; i++ {
		quota := b.N / n
		if i < b.N%n {
			quota++
		}
		r := &requester{writer: s.Writer(), first: i * 7, n: quota, payload: payload, carrier: run.carrier, failed: &failed, done: done}
		sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))
	}
	var lat benchutil.Latency
	for i := 0; i < n; i++ {
		lat.Merge(<-done)
	}
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d appends failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	if cpuKnown {
		// CPU per event (the whole process: writer, requesters, fsyncs), a
		// steadier figure than ns/op on a disk shared with others.
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-us/op")
	}
	lat.Report(b)
	st, err := s.Stats()
	if err != nil {
		b.Fatal(err)
	}
	if st.Events != b.N {
		b.Fatalf("store holds %d events, want %d", st.Events, b.N)
	}
	if err := s.Close(ctx0()); err != nil {
		b.Fatal(err)
	}
}
