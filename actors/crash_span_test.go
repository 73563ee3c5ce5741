package actors

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The restart span links to the spans of the appends the crash answered,
// has error status and records the panic; the crashed appends' spans name
// no sequence (their events were cut).
func TestRestartSpanLinksTheCrashedAppends(t *testing.T) {
	f := spawn(t, Config{})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	caller, span := tracer.Start(context.Background(), "caller")
	defer span.End()
	release := make(chan struct{})
	f.sys.Root.Send(f.store.Writer(), &faults.Block{Release: release})
	futures := make([]*actor.Future, 3)
	for i := range futures {
		futures[i] = f.sys.Root.RequestFuture(f.store.Writer(),
			&messages.Append{Coordinate: coord("crashed"), Kind: kind, Trace: Trace(caller)}, 10*time.Second)
	}
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "span test"})
	close(release)
	for _, fut := range futures {
		res, err := fut.Result()
		require.NoError(t, err)
		require.ErrorIs(t, res.(*messages.AppendReply).Err(), messages.ErrWriterCrashed)
	}
	require.Eventually(t, func() bool { return f.store.Restarts() == 1 }, 10*time.Second, time.Millisecond)

	crashed := map[trace.SpanID]bool{}
	for _, a := range spansNamed(f.recorder, SpanAppend) {
		crashed[a.SpanContext().SpanID()] = true
		require.Equal(t, codes.Error, a.Status().Code)
		for _, kv := range a.Attributes() {
			require.NotEqual(t, "batpak.sequence", string(kv.Key), "a cut event has no sequence")
		}
	}
	require.Len(t, crashed, 3)
	restarts := spansNamed(f.recorder, supervision.SpanRestart)
	require.Len(t, restarts, 1)
	r := restarts[0]
	require.Equal(t, codes.Error, r.Status().Code)
	require.Len(t, r.Links(), 3)
	for _, l := range r.Links() {
		require.True(t, crashed[l.SpanContext.SpanID()], "a link to a crashed append")
	}
	var exception bool
	for _, ev := range r.Events() {
		exception = exception || ev.Name == "exception"
	}
	require.True(t, exception, "the panic is recorded")
	var cut []string
	for _, kv := range r.Attributes() {
		if kv.Key == "batpak.cut" {
			cut = kv.Value.AsStringSlice()
		}
	}
	require.Len(t, cut, 1, "the span says what the crash cut")
	require.Contains(t, cut[0], "3 unacknowledged request(s)")
}
