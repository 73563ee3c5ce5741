package actors

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ARCHITECTURE.md, "OpenTelemetry": a request without a Trace field still
// has its sender's span as parent when the trace context travels in
// protoactor's message headers.
func TestPromiseTraceContextFromMessageHeaders(t *testing.T) {
	f := spawn(t, Config{})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	caller, span := tracer.Start(context.Background(), "caller")
	headers := map[string]string(Trace(caller))
	require.NotEmpty(t, headers)
	fut := actor.NewFuture(f.sys, 10*time.Second)
	f.sys.Root.Send(f.store.Writer(), &actor.MessageEnvelope{Header: headers,
		Message: &messages.Append{Coordinate: coord("h"), Kind: kind}, Sender: fut.PID()})
	res, err := fut.Result()
	require.NoError(t, err)
	require.NoError(t, res.(*messages.AppendReply).Err())
	span.End()
	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 1)
	require.Equal(t, span.SpanContext().SpanID(), appends[0].Parent().SpanID(), "a child of the span in the headers")
}

// renamed is a propagator that carries W3C trace context under other
// keys, so that only a writer that reads with the global propagator finds
// it.
type renamed struct{ propagation.TraceContext }

func (renamed) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	m := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, m)
	for k, v := range m {
		c.Set("x-"+k, v)
	}
}

func (renamed) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	m := propagation.MapCarrier{}
	for _, k := range c.Keys() {
		if len(k) > 2 && k[:2] == "x-" {
			m[k[2:]] = c.Get(k)
		}
	}
	return propagation.TraceContext{}.Extract(ctx, m)
}

func (renamed) Fields() []string { return []string{"x-traceparent", "x-tracestate"} }

// ARCHITECTURE.md, "OpenTelemetry": Trace injects with the global
// propagator when the application set one, and the writer extracts with
// it.
func TestPromiseTraceUsesTheGlobalPropagator(t *testing.T) {
	otel.SetTextMapPropagator(renamed{})
	// Back to a propagator that, like the default, carries nothing
	// (setting the default back would delegate it to renamed).
	t.Cleanup(func() { otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator()) })
	f := spawn(t, Config{})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	caller, span := tracer.Start(context.Background(), "caller")
	carrier := Trace(caller)
	require.Contains(t, carrier, "x-traceparent", "injected by the global propagator")
	require.NotContains(t, carrier, "traceparent")
	_, err := f.store.Append(caller, &messages.Append{Coordinate: coord("g"), Kind: kind})
	require.NoError(t, err)
	span.End()
	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 1)
	require.Equal(t, span.SpanContext().SpanID(), appends[0].Parent().SpanID(), "extracted by the global propagator")
}
