package actors

import (
	"context"
	"testing"

	"github.com/batpak-go/batpak/messages"
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

// Every measurement carries batpak.store (Config.Name): two stores in one
// process, one meter provider, are told apart.
func TestMetricsNameTheStore(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	provider := meterWith(reader)
	sys := quietSystem()
	defer sys.Shutdown()
	counts := map[string]int{"orders": 3, "stock": 5}
	for name, n := range counts {
		s, err := Spawn(sys, Config{Dir: t.TempDir(), Name: name, MeterProvider: provider})
		require.NoError(t, err)
		defer s.Close(ctx(t))
		for range n {
			_, err := s.Append(ctx(t), &messages.Append{Coordinate: coord(name), Kind: kind})
			require.NoError(t, err)
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "batpak.appends" {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				store, ok := p.Attributes.Value("batpak.store")
				require.True(t, ok, "every point names its store")
				got[store.AsString()] += p.Value
			}
		}
	}
	require.Equal(t, map[string]int64{"orders": 3, "stock": 5}, got)
}

// batpak.commit.fsync is in seconds, with buckets from 20 µs to 1 s.
func TestFsyncHistogramInSeconds(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MeterProvider: meterWith(reader)})
	for range 3 {
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("fsync"), Kind: kind})
		require.NoError(t, err)
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "batpak.commit.fsync" {
				continue
			}
			found = true
			require.Equal(t, "s", m.Unit)
			for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				require.Equal(t, FsyncBuckets, p.Bounds)
				require.Equal(t, uint64(3), p.Count)
				max, _ := p.Max.Value()
				require.Less(t, max, 60.0, "seconds")
			}
		}
	}
	require.True(t, found)
}
