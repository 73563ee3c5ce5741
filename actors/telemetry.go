package actors

import (
	"context"
	"reflect"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Span names of the actors layer (the restart spans are supervision's).
const (
	SpanAppend = "batpak.append"
	SpanCommit = "batpak.commit"
)

const instrumentation = "github.com/batpak-go/batpak/actors"

// telemetry holds the store's tracer and instruments.
type telemetry struct {
	tracer trace.Tracer
	// provider is the tracer's provider; real says it is not a no-op (see
	// tracing), and global that it is otel's global one, which was a no-op
	// when the store started but becomes real once a provider is set.
	provider   trace.TracerProvider
	real       atomic.Bool
	global     bool
	appends    metric.Int64Counter
	groupSize  metric.Int64Histogram
	fsync      metric.Float64Histogram // seconds
	restarts   metric.Int64Counter
	gaps       metric.Int64Counter
	overloaded metric.Int64Counter // appends refused by the writer's admission
	// store is the batpak.store attribute (Config.Name) every measurement
	// carries, so that two stores in one process are told apart;
	// answeredYes and answeredNo add batpak.answered for overloaded.
	store, answeredYes, answeredNo metric.MeasurementOption
	// appendAttrs are batpak.append's messaging attributes (OpenTelemetry's
	// messaging conventions: the writer processes a message it received).
	appendAttrs trace.SpanStartEventOption
}

// FsyncBuckets are the bucket boundaries, in seconds, of the
// batpak.commit.fsync histogram: 20 µs to 1 s, about three per decade, so
// that a fast disk's fsyncs (tens of µs) and a slow one's (tens of ms) both
// spread over several buckets.
var FsyncBuckets = []float64{20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3, 50e-3, 100e-3, 200e-3, 500e-3, 1}

// storeAttr is the attribute that names the store in every metric.
func storeAttr(name string) attribute.KeyValue { return attribute.String("batpak.store", name) }

func newTelemetry(cfg Config) *telemetry {
	m := cfg.MeterProvider.Meter(instrumentation)
	t := &telemetry{tracer: cfg.TracerProvider.Tracer(instrumentation),
		provider:    cfg.TracerProvider,
		store:       metric.WithAttributeSet(attribute.NewSet(storeAttr(cfg.Name))),
		answeredYes: metric.WithAttributeSet(attribute.NewSet(storeAttr(cfg.Name), attribute.Bool("batpak.answered", true))),
		answeredNo:  metric.WithAttributeSet(attribute.NewSet(storeAttr(cfg.Name), attribute.Bool("batpak.answered", false))),
		appendAttrs: trace.WithAttributes(attribute.String("messaging.system", "protoactor"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", cfg.Name+"/"+writerName), storeAttr(cfg.Name))}
	switch {
	case isNoopProvider(cfg.TracerProvider):
	case isUnsetGlobal(cfg.TracerProvider):
		t.global = true
	default:
		t.real.Store(true)
	}
	// Instrument creation fails only on invalid names; the no-op fallbacks
	// the API returns then keep the store working.
	t.appends, _ = m.Int64Counter("batpak.appends", metric.WithDescription("events appended (committed)"))
	t.groupSize, _ = m.Int64Histogram("batpak.commit.group_size", metric.WithUnit("{event}"),
		metric.WithDescription("events per commit group"), metric.WithExplicitBucketBoundaries(GroupSizeBuckets...))
	t.fsync, _ = m.Float64Histogram("batpak.commit.fsync", metric.WithUnit("s"),
		metric.WithDescription("fsync latency per commit group"), metric.WithExplicitBucketBoundaries(FsyncBuckets...))
	t.restarts, _ = m.Int64Counter("batpak.writer.restarts", metric.WithDescription("writer restarts"))
	t.gaps, _ = m.Int64Counter("batpak.subscriber.gaps", metric.WithDescription("subscriber queue overflows signalled as gaps"))
	t.overloaded, _ = m.Int64Counter("batpak.writer.overloaded",
		metric.WithDescription("appends refused with ErrOverloaded by the writer's admission bound (batpak.answered=false: no sender to answer, dropped)"))
	t.reportZeros()
	return t
}

// reportZeros adds 0 to every counter, so that each is exported from the
// start (a dashboard shows 0 restarts, not "no data", until the first).
func (t *telemetry) reportZeros() {
	bg := context.Background()
	for _, c := range []metric.Int64Counter{t.appends, t.restarts, t.gaps} {
		c.Add(bg, 0, t.store)
	}
	t.overloaded.Add(bg, 0, t.answeredYes)
	t.overloaded.Add(bg, 0, t.answeredNo)
}

// headerCarrier reads a message envelope's headers as a propagation carrier.
type headerCarrier struct{ h actor.ReadonlyMessageHeader }

func (c headerCarrier) Get(key string) string { return c.h.Get(key) }
func (c headerCarrier) Set(string, string)    {}
func (c headerCarrier) Keys() []string        { return c.h.Keys() }

// noSpan is the span of a request nobody traces: every call on it does
// nothing.
var noSpan = trace.SpanFromContext(context.Background())

// isNoopProvider reports whether tp is otel's no-op provider.
func isNoopProvider(tp trace.TracerProvider) bool {
	_, ok := tp.(noop.TracerProvider)
	return ok
}

// isUnsetGlobal reports whether tp is otel's global provider as it is
// before a provider is set: a delegating one that makes no-op spans until
// otel.SetTracerProvider. (Recognised by its type; should otel rename it,
// the store takes it for a real provider, which costs time, not spans.)
func isUnsetGlobal(tp trace.TracerProvider) bool {
	t := reflect.TypeOf(tp)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global" &&
		t.Elem().Name() == "tracerProvider"
}

// tracing reports whether spans are made for requests whose sender does
// not trace: only with a real tracer provider. With otel's no-op provider,
// or the global one while no provider is set, an untraced append costs no
// span work at all (the spans would be no-ops). Once a global provider is
// set, the global one delegates to it, and spans are made from then on.
func (t *telemetry) tracing() bool {
	if t.real.Load() {
		return true
	}
	if t.global && otel.GetTracerProvider() != t.provider {
		t.real.Store(true)
		return true
	}
	return false
}

// startAppend starts a request's batpak.append span: a child of the
// sender's span if the request carries one (see parent), else a root span
// if tracing says spans are made. Otherwise it returns noSpan without
// touching the tracer.
//
// A request that reacts to an event (a causation) whose span the writer
// remembers gets a link to that span (see spanMemory), so that a saga can
// be followed from trigger to reaction across actors and traces.
func (t *telemetry) startAppend(ctx actor.Context, carrier messages.TraceCarrier, mem *spanMemory, msg any) trace.Span {
	parent, traced := t.parent(ctx, carrier)
	if !traced && !t.tracing() {
		return noSpan
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), t.appendAttrs}
	if links := mem.links(msg); len(links) > 0 {
		opts = append(opts, trace.WithLinks(links...))
	}
	_, span := t.tracer.Start(parent, SpanAppend, opts...)
	return span
}

// parent returns the sender's trace context: from the message's own
// carrier (messages.Append.Trace, AppendBatch.Trace), else from the
// envelope headers, else none; and whether it holds a valid span context.
func (t *telemetry) parent(ctx actor.Context, carrier messages.TraceCarrier) (context.Context, bool) {
	bg := context.Background()
	var p context.Context
	switch {
	case len(carrier) > 0:
		p = extract(carrier)
	default:
		if h := ctx.MessageHeader(); h != nil && h.Length() > 0 {
			p = extract(headerCarrier{h})
		} else {
			return bg, false
		}
	}
	return p, trace.SpanContextFromContext(p).IsValid()
}
