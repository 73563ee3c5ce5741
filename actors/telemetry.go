package actors

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Span names of the actors layer (the restart spans are supervision's).
const (
	SpanAppend = "batpak.append"
	SpanCommit = "batpak.commit"
)

const instrumentation = "github.com/batpak-go/batpak/actors"

// telemetry holds the store's tracer and instruments.
type telemetry struct {
	tracer     trace.Tracer
	appends    metric.Int64Counter
	groupSize  metric.Int64Histogram
	fsyncMS    metric.Float64Histogram
	restarts   metric.Int64Counter
	gaps       metric.Int64Counter
	propagator propagation.TextMapPropagator
}

func newTelemetry(cfg Config) *telemetry {
	m := cfg.MeterProvider.Meter(instrumentation)
	t := &telemetry{tracer: cfg.TracerProvider.Tracer(instrumentation), propagator: propagation.TraceContext{}}
	// Instrument creation fails only on invalid names; the no-op fallbacks
	// the API returns then keep the store working.
	t.appends, _ = m.Int64Counter("batpak.appends", metric.WithDescription("events appended (committed)"))
	t.groupSize, _ = m.Int64Histogram("batpak.commit.group_size", metric.WithDescription("events per commit group"))
	t.fsyncMS, _ = m.Float64Histogram("batpak.commit.fsync", metric.WithUnit("ms"), metric.WithDescription("fsync latency per commit group"))
	t.restarts, _ = m.Int64Counter("batpak.writer.restarts", metric.WithDescription("writer restarts"))
	t.gaps, _ = m.Int64Counter("batpak.subscriber.gaps", metric.WithDescription("subscriber queue overflows signalled as gaps"))
	return t
}

// headerCarrier reads a message envelope's headers as a propagation carrier.
type headerCarrier struct{ h actor.ReadonlyMessageHeader }

func (c headerCarrier) Get(key string) string { return c.h.Get(key) }
func (c headerCarrier) Set(string, string)    {}
func (c headerCarrier) Keys() []string        { return c.h.Keys() }

// parent returns the sender's trace context: from the message's own
// carrier (messages.Append.Trace, AppendBatch.Trace), else from the
// envelope headers, else none.
func (t *telemetry) parent(ctx actor.Context, carrier messages.TraceCarrier) context.Context {
	bg := context.Background()
	if len(carrier) > 0 {
		return t.propagator.Extract(bg, carrier)
	}
	if h := ctx.MessageHeader(); h != nil && h.Length() > 0 {
		return t.propagator.Extract(bg, headerCarrier{h})
	}
	return bg
}

// inject returns a carrier holding the span context of ctx, or nil.
func (t *telemetry) inject(ctx context.Context) messages.TraceCarrier {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	c := messages.TraceCarrier{}
	t.propagator.Inject(ctx, c)
	return c
}
