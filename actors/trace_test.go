package actors

import (
	"context"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// A request that carries actors.Trace(ctx) makes the writer's spans
// children of the sender's span, for an append and for a batch, with no
// global propagator set (the W3C fallback).
func TestTraceHelperParentsTheWritersSpans(t *testing.T) {
	f := spawn(t, Config{})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	caller, span := tracer.Start(context.Background(), "caller")
	defer span.End()

	require.Nil(t, Trace(context.Background()), "no span, no carrier")
	carrier := Trace(caller)
	require.NotEmpty(t, carrier.Get("traceparent"))

	res, err := f.sys.Root.RequestFuture(f.store.Writer(),
		&messages.Append{Coordinate: coord("traced"), Kind: kind, Trace: Trace(caller)}, 5e9).Result()
	require.NoError(t, err)
	require.NoError(t, res.(*messages.AppendReply).Err())
	res, err = f.sys.Root.RequestFuture(f.store.Writer(), &messages.AppendBatch{Trace: Trace(caller),
		Items: []messages.BatchItem{{Coordinate: coord("traced"), Kind: kind}}}, 5e9).Result()
	require.NoError(t, err)
	require.NoError(t, res.(*messages.AppendBatchReply).Err())

	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 2)
	for _, a := range appends {
		require.Equal(t, span.SpanContext().TraceID(), a.Parent().TraceID())
		require.Equal(t, span.SpanContext().SpanID(), a.Parent().SpanID())
	}
}

// batpak.append is a CONSUMER span with OpenTelemetry's messaging
// attributes (the writer processes a message it received) and the store's
// name; batpak.commit stays INTERNAL.
func TestSpanKindsAndMessagingAttributes(t *testing.T) {
	f := spawn(t, Config{Name: "kinds"})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	caller, span := tracer.Start(context.Background(), "caller")
	_, err := f.store.Append(caller, &messages.Append{Coordinate: coord("kinds"), Kind: kind})
	require.NoError(t, err)
	span.End()
	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 1)
	a := appends[0]
	require.Equal(t, trace.SpanKindConsumer, a.SpanKind())
	want := map[string]string{"messaging.system": "protoactor", "messaging.operation.type": "process",
		"messaging.destination.name": "kinds/writer", "batpak.store": "kinds"}
	for _, kv := range a.Attributes() {
		if v, ok := want[string(kv.Key)]; ok {
			require.Equal(t, v, kv.Value.AsString(), string(kv.Key))
			delete(want, string(kv.Key))
		}
	}
	require.Empty(t, want, "attributes missing")
	commits := spansNamed(f.recorder, SpanCommit)
	require.Len(t, commits, 1)
	require.Equal(t, trace.SpanKindInternal, commits[0].SpanKind())
}
