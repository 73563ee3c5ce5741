package actors

import (
	"context"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
