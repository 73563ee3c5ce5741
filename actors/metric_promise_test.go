package actors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// readmeInstruments reads the README's metrics table: name to instrument
// (counter, histogram or gauge).
func readmeInstruments(t *testing.T) map[string]string {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	out := map[string]string{}
	inTable := false
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(line, "| metric | instrument, unit |"):
			inTable = true
		case inTable && !strings.HasPrefix(line, "|"):
			inTable = false
		case inTable && strings.HasPrefix(line, "| `"):
			cells := strings.Split(line, " | ")
			name := strings.Trim(strings.TrimPrefix(cells[0], "| "), "`")
			instrument, _, _ := strings.Cut(cells[1], ",")
			out[name] = instrument
		}
	}
	require.NotEmpty(t, out)
	return out
}

// The README's metrics table names each metric's instrument: a counter is
// a monotonic sum, a histogram a histogram with the bucket boundaries the
// table names (GroupSizeBuckets 1 … 1024, FsyncBuckets 20 µs … 1 s,
// OpenBuckets 500 µs … 60 s), a gauge a gauge.
func TestPromiseReadmeMetricInstruments(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MeterProvider: meterWith(reader)})
	follow(t, f.store, storage.Filter{}, 0, nil)
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.NoError(t, err)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]string{}
	bounds := map[string][]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				require.True(t, d.IsMonotonic, m.Name)
				got[m.Name] = "counter"
			case metricdata.Gauge[int64], metricdata.Gauge[float64]:
				got[m.Name] = "gauge"
			case metricdata.Histogram[int64]:
				got[m.Name] = "histogram"
				bounds[m.Name] = d.DataPoints[0].Bounds
			case metricdata.Histogram[float64]:
				got[m.Name] = "histogram"
				bounds[m.Name] = d.DataPoints[0].Bounds
			default:
				t.Fatalf("%s: %T", m.Name, d)
			}
		}
	}
	require.Equal(t, readmeInstruments(t), got)

	require.Equal(t, GroupSizeBuckets, bounds["batpak.commit.group_size"])
	require.Equal(t, []float64{1, 1024}, []float64{GroupSizeBuckets[0], GroupSizeBuckets[len(GroupSizeBuckets)-1]})
	for i := 1; i < len(GroupSizeBuckets); i++ {
		require.Equal(t, 2*GroupSizeBuckets[i-1], GroupSizeBuckets[i], "1, 2, 4 … 1024")
	}
	require.Equal(t, FsyncBuckets, bounds["batpak.commit.fsync"])
	require.Equal(t, []float64{20e-6, 1}, []float64{FsyncBuckets[0], FsyncBuckets[len(FsyncBuckets)-1]})
	require.Equal(t, OpenBuckets, bounds["batpak.engine.open.duration"])
	require.Equal(t, []float64{500e-6, 60}, []float64{OpenBuckets[0], OpenBuckets[len(OpenBuckets)-1]})
}

// The README's metrics table: batpak.writer.overloaded counts a refused
// append with batpak.answered = true, and one without a sender to answer
// with batpak.answered = false.
func TestPromiseOverloadedSaysWhetherAnswered(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := spawn(t, Config{MaxQueuedEvents: 1, MeterProvider: meterWith(reader)})
	release := block(f)
	queued := fill(f, 1, "q")
	res, err := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("q"), Kind: kind},
		60*time.Second).Result()
	require.NoError(t, err)
	require.ErrorIs(t, appendReplyErr(res), messages.ErrOverloaded)
	f.sys.Root.Send(f.store.Writer(), &messages.Append{Coordinate: coord("q"), Kind: kind})
	f.sys.Root.Send(f.store.Writer(), &messages.Append{Coordinate: coord("q"), Kind: kind})

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	byAnswered := map[bool]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "batpak.writer.overloaded" {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v, ok := p.Attributes.Value(attribute.Key("batpak.answered"))
				require.True(t, ok, "every point says whether it was answered")
				byAnswered[v.AsBool()] += p.Value
			}
		}
	}
	require.Equal(t, map[bool]int64{true: 1, false: 2}, byAnswered)
	release()
	requireReceipts(t, queued)
}
