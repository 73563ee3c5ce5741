package remoting_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// The trace context crosses: node B's append, carrying actors.Trace of a
// span (raw, and through a remoting.Client whose context holds the span),
// makes the writer's batpak.append span on node A a child of that span.
func TestTraceCrossesRemote(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder())).Tracer("node-b")
	caller, span := tracer.Start(context.Background(), "caller")
	defer span.End()
	carrier := actors.Trace(caller)
	require.NotEmpty(t, carrier.Get("traceparent"))

	require.NoError(t, b.appendTo(t, a, &messages.Append{Coordinate: coord("traced"), Kind: kind, Trace: carrier}).Err())
	typ, body := wire(t, &messages.Append{Coordinate: coord("traced"), Kind: kind})
	r := b.do(t, command{Op: "client", Method: "append", Addr: a.sys.Address(), Store: a.name, Type: typ, Body: body, Trace: carrier})
	require.Empty(t, r.Err)

	var appends []sdktrace.ReadOnlySpan
	for _, s := range a.recorder.Ended() {
		if s.Name() == actors.SpanAppend {
			appends = append(appends, s)
		}
	}
	require.Len(t, appends, 2)
	for _, s := range appends {
		require.Equal(t, span.SpanContext().TraceID(), s.Parent().TraceID())
		require.Equal(t, span.SpanContext().SpanID(), s.Parent().SpanID())
		require.True(t, s.Parent().IsRemote())
	}
}
