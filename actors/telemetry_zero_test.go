package actors

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Every counter is exported from the start, at 0.
func TestCountersReportZeroFromTheStart(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	spawn(t, Config{MeterProvider: meterWith(reader)})
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	seen := map[string]int{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				seen[m.Name] = len(d.DataPoints)
				for _, p := range d.DataPoints {
					require.Zero(t, p.Value, m.Name)
				}
			}
		}
	}
	for _, name := range []string{"batpak.appends", "batpak.writer.restarts", "batpak.subscriber.gaps"} {
		require.Equal(t, 1, seen[name], "%s is exported before its first event", name)
	}
	require.Equal(t, 2, seen["batpak.writer.overloaded"], "answered and dropped")
}
