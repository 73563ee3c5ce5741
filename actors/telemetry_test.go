package actors

import (
	"context"
	"testing"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func spansNamed(r *tracetest.SpanRecorder, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func TestAppendAndCommitSpans(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	parent, span := tracer.Start(context.Background(), "caller")
	_, err := f.store.Append(parent, &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("x")})
	require.NoError(t, err)
	span.End()

	// An actor's request carries its trace context in the message.
	carrier := Trace(parent)
	res, err := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("e"), Kind: kind, Trace: carrier}, 5e9).Result()
	require.NoError(t, err)
	require.NoError(t, res.(*messages.AppendReply).Err())

	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 2)
	for _, a := range appends {
		require.Equal(t, span.SpanContext().TraceID(), a.Parent().TraceID(), "a child of the sender's span")
		require.Equal(t, span.SpanContext().SpanID(), a.Parent().SpanID())
	}
	commits := spansNamed(f.recorder, SpanCommit)
	require.Len(t, commits, 2)
	require.Len(t, commits[0].Links(), 1)
	require.Equal(t, appends[0].SpanContext().SpanID(), commits[0].Links()[0].SpanContext.SpanID(), "linked to its appends")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += int64(p.Count)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += int64(p.Count)
				}
			}
		}
	}
	require.Equal(t, int64(2), sums["batpak.appends"])
	require.Equal(t, int64(2), sums["batpak.commit.group_size"])
	require.Equal(t, int64(2), sums["batpak.commit.fsync"])
}

func TestRestartIsCounted(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{Policy: supervision.Bounded(3, 0), MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "one"})
	// A request after the panic is served by the restarted writer.
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.NoError(t, err)
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "batpak.writer.restarts" {
				found = true
				require.Equal(t, int64(1), m.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
			}
		}
	}
	require.True(t, found)
	restarts := spansNamed(f.recorder, supervision.SpanRestart)
	require.Len(t, restarts, 1)
}
