package actors_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

var omKind = messages.MustKind(1, 1)

// omSystem is a protoactor system that logs only warnings.
func omSystem(t *testing.T) *actor.ActorSystem {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}))
	t.Cleanup(sys.Shutdown)
	return sys
}

// omSpawn spawns a store in sys whose metrics go to reader.
func omSpawn(t *testing.T, sys *actor.ActorSystem, reader *sdkmetric.ManualReader, cfg actors.Config) *actors.Store {
	t.Helper()
	cfg.Dir = t.TempDir()
	cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	s, err := actors.Spawn(sys, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// omPoint is one data point: its attributes, and a gauge's or counter's
// value, or a histogram's count, sum and bounds.
type omPoint struct {
	attrs  attribute.Set
	value  float64
	count  uint64
	bounds []float64
}

type omMetric struct {
	unit   string
	points []omPoint
}

// omCollect reads every metric from reader, by name.
func omCollect(t *testing.T, reader *sdkmetric.ManualReader) map[string]omMetric {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := map[string]omMetric{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			om := omMetric{unit: m.Unit}
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					om.points = append(om.points, omPoint{attrs: p.Attributes, value: float64(p.Value)})
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					om.points = append(om.points, omPoint{attrs: p.Attributes, value: p.Value})
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					om.points = append(om.points, omPoint{attrs: p.Attributes, value: float64(p.Value)})
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					om.points = append(om.points, omPoint{attrs: p.Attributes, value: p.Sum, count: p.Count, bounds: p.Bounds})
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					om.points = append(om.points, omPoint{attrs: p.Attributes, value: float64(p.Sum), count: p.Count, bounds: p.Bounds})
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = om
		}
	}
	return out
}

// with returns the points whose attributes include every key=value pair
// of kv.
func (m omMetric) with(kv ...string) []omPoint {
	var out []omPoint
next:
	for _, p := range m.points {
		for i := 0; i+1 < len(kv); i += 2 {
			if v, ok := p.attrs.Value(attribute.Key(kv[i])); !ok || v.Emit() != kv[i+1] {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// one returns the single point with kv's attributes.
func (m omMetric) one(t *testing.T, kv ...string) omPoint {
	t.Helper()
	ps := m.with(kv...)
	require.Len(t, ps, 1, "points with %v among %+v", kv, m.points)
	return ps[0]
}

// omSettle returns once the fanout has handed out every group committed so
// far: Sync is answered after the writer has handed the fanout the groups
// before it, and the fanout answers a message it does not know after the
// groups queued before it.
func omSettle(t *testing.T, s *actors.Store) {
	t.Helper()
	require.NoError(t, s.Sync(context.Background()))
	_, err := s.System().Root.RequestFuture(s.Fanout(), "settle", 10*time.Second).Result()
	require.NoError(t, err)
}

// omHeld is a subscriber that, on its first notification, closes entered
// and waits until release is closed; with gap set, it holds on its first
// messages.Gap in the same way with gap's channels. It answers any string
// (so a test knows it has handled every message before).
type omHeld struct {
	entered, release chan struct{}
	held             bool
	gap              *omHeld
}

func newHeld() *omHeld { return &omHeld{entered: make(chan struct{}), release: make(chan struct{})} }

func (h *omHeld) props() *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return h })
}

func (h *omHeld) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *messages.Notification:
		if !h.held {
			h.held = true
			close(h.entered)
			<-h.release
		}
	case *messages.Gap:
		if h.gap != nil && !h.gap.held {
			h.gap.held = true
			close(h.gap.entered)
			<-h.gap.release
		}
	case string:
		ctx.Respond("handled")
	}
}

// omPing returns once the subscriber pid has handled every message sent
// to it before.
func omPing(t *testing.T, s *actors.Store, pid *actor.PID) {
	t.Helper()
	_, err := s.System().Root.RequestFuture(pid, "ping", 10*time.Second).Result()
	require.NoError(t, err)
}

func omAppend(t *testing.T, s *actors.Store, entity string, payload []byte) messages.Receipt {
	t.Helper()
	r, err := s.Append(context.Background(), &messages.Append{Coordinate: messages.Coordinate{Entity: entity, Scope: "om"},
		Kind: omKind, Payload: payload})
	require.NoError(t, err)
	return r
}

// Every operator metric is there as soon as Spawn returns, with its unit
// and the store's name (batpak.store); the counters and queues at 0.
func TestMetricsFromSpawn(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	omSpawn(t, omSystem(t), reader, actors.Config{Name: "orders"})
	got := omCollect(t, reader)
	units := map[string]string{
		"batpak.subscriber.count":          "{subscriber}",
		"batpak.segment.count":             "{segment}",
		"batpak.segment.usage":             "By",
		"batpak.engine.open.duration":      "s",
		"batpak.engine.open.last_duration": "s",
		"batpak.writer.queue.events":       "{event}",
		"batpak.writer.queue.bytes":        "By",
		"batpak.subscriber.gaps":           "",
		"batpak.writer.restarts":           "",
	}
	for name, unit := range units {
		m, ok := got[name]
		require.True(t, ok, "%s is reported from Spawn on", name)
		require.Equal(t, unit, m.unit, name)
		m.one(t, "batpak.store", "orders")
	}
	for _, zero := range []string{"batpak.subscriber.count", "batpak.writer.queue.events", "batpak.writer.queue.bytes", "batpak.subscriber.gaps"} {
		require.Zero(t, got[zero].one(t).value, zero)
	}
	require.Equal(t, 1.0, got["batpak.segment.count"].one(t).value, "the active segment")
	require.Positive(t, got["batpak.segment.usage"].one(t).value, "its header at least")
	open := got["batpak.engine.open.duration"].one(t, "batpak.open.cause", "spawn")
	require.Equal(t, uint64(1), open.count)
	require.Equal(t, actors.OpenBuckets, open.bounds)
	require.Equal(t, open.value, got["batpak.engine.open.last_duration"].one(t).value, "the one open so far")
	require.Positive(t, open.value)
}

// batpak.commit.group_size counts events with buckets 1, 2, 4 ... 1024.
func TestMetricGroupSizeBuckets(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	s := omSpawn(t, omSystem(t), reader, actors.Config{})
	omAppend(t, s, "g", nil)
	m := omCollect(t, reader)["batpak.commit.group_size"]
	require.Equal(t, "{event}", m.unit)
	p := m.one(t, "batpak.store", "batpak")
	require.Equal(t, actors.GroupSizeBuckets, p.bounds)
	require.Equal(t, uint64(1), p.count)
	require.Equal(t, 1.0, p.value, "one group of one event")
}

// A subscriber held in its Receive: its queue depth and lag (events and
// age) rise, while a subscriber whose filter matches nothing stays at 0;
// once it catches up both are 0; once it stops its points are gone.
func TestMetricSubscriberQueueAndLag(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	s := omSpawn(t, omSystem(t), reader, actors.Config{Name: "lag"})
	held := newHeld()
	pid, from, err := s.Subscribe(held.props(), storage.Filter{}, 100)
	require.NoError(t, err)
	require.Zero(t, from)
	other, _, err := s.Subscribe(newHeld().props(), storage.Filter{EntityPrefix: "nothing/"}, 100)
	require.NoError(t, err)
	sub := func(m omMetric, p *actor.PID) omPoint {
		return m.one(t, "batpak.store", "lag", "batpak.subscriber", p.Id)
	}

	got := omCollect(t, reader)
	require.Equal(t, 2.0, got["batpak.subscriber.count"].one(t).value)
	for _, name := range []string{"batpak.subscriber.queue.events", "batpak.subscriber.lag.events", "batpak.subscriber.lag.age"} {
		require.Zero(t, sub(got[name], pid).value, "%s from Subscribe on", name)
	}
	require.Equal(t, "{event}", got["batpak.subscriber.queue.events"].unit)
	require.Equal(t, "{event}", got["batpak.subscriber.lag.events"].unit)
	require.Equal(t, "s", got["batpak.subscriber.lag.age"].unit)

	first := omAppend(t, s, "order/1", nil)
	<-held.entered // the subscriber holds the first event in its Receive
	for range 4 {
		omAppend(t, s, "order/1", nil)
	}
	omSettle(t, s)
	ev, err := s.Get(first.EventID)
	require.NoError(t, err)
	for time.Now().UnixMilli() <= ev.WallMS+10 { // let the first event age measurably
		time.Sleep(time.Millisecond)
	}
	before := time.Now().UnixMilli()
	got = omCollect(t, reader)
	after := time.Now().UnixMilli()
	require.Equal(t, 4.0, sub(got["batpak.subscriber.queue.events"], pid).value, "behind the one it holds")
	require.Equal(t, 5.0, sub(got["batpak.subscriber.lag.events"], pid).value, "none of the five handled")
	age := sub(got["batpak.subscriber.lag.age"], pid).value
	require.GreaterOrEqual(t, age, float64(before-ev.WallMS)/1e3, "the age of the first event")
	require.LessOrEqual(t, age, float64(after-ev.WallMS)/1e3)
	for _, name := range []string{"batpak.subscriber.queue.events", "batpak.subscriber.lag.events", "batpak.subscriber.lag.age"} {
		require.Zero(t, sub(got[name], other).value, "%s: nothing matches its filter, it is not behind", name)
	}

	close(held.release)
	omPing(t, s, pid)
	got = omCollect(t, reader)
	for _, name := range []string{"batpak.subscriber.queue.events", "batpak.subscriber.lag.events", "batpak.subscriber.lag.age"} {
		require.Zero(t, sub(got[name], pid).value, "%s once caught up", name)
	}

	s.System().Root.StopFuture(pid).Wait()
	// The fanout watched pid before StopFuture did, so its Terminated was
	// posted first; the settle's message comes after it.
	omSettle(t, s)
	got = omCollect(t, reader)
	require.Equal(t, 1.0, got["batpak.subscriber.count"].one(t).value)
	for _, name := range []string{"batpak.subscriber.queue.events", "batpak.subscriber.lag.events", "batpak.subscriber.lag.age"} {
		require.Empty(t, got[name].with("batpak.subscriber", pid.Id), "%s of a stopped subscriber", name)
		sub(got[name], other)
	}
}

// A subscriber whose queue overflowed (a gap) is behind until it has
// handled the Gap, then at 0; its queue never holds more than its capacity.
func TestMetricSubscriberLagAcrossAGap(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	s := omSpawn(t, omSystem(t), reader, actors.Config{})
	held := newHeld()
	held.gap = newHeld()
	pid, _, err := s.Subscribe(held.props(), storage.Filter{}, 2)
	require.NoError(t, err)
	omAppend(t, s, "gap/1", nil)
	<-held.entered
	for range 5 {
		omAppend(t, s, "gap/1", nil)
	}
	omSettle(t, s)
	got := omCollect(t, reader)
	require.Equal(t, 2.0, got["batpak.subscriber.queue.events"].one(t, "batpak.subscriber", pid.Id).value, "its capacity")
	require.Equal(t, 6.0, got["batpak.subscriber.lag.events"].one(t, "batpak.subscriber", pid.Id).value)
	require.Equal(t, 1.0, got["batpak.subscriber.gaps"].one(t).value)
	close(held.release)
	<-held.gap.entered // it has handled events 0 to 2 and holds the Gap from 3
	got = omCollect(t, reader)
	require.Zero(t, got["batpak.subscriber.queue.events"].one(t, "batpak.subscriber", pid.Id).value)
	require.Equal(t, 3.0, got["batpak.subscriber.lag.events"].one(t, "batpak.subscriber", pid.Id).value, "what the Gap covers")
	close(held.gap.release)
	omPing(t, s, pid)
	got = omCollect(t, reader)
	require.Zero(t, got["batpak.subscriber.queue.events"].one(t, "batpak.subscriber", pid.Id).value)
	require.Zero(t, got["batpak.subscriber.lag.events"].one(t, "batpak.subscriber", pid.Id).value)
	require.Zero(t, got["batpak.subscriber.lag.age"].one(t, "batpak.subscriber", pid.Id).value)
}

// The segment count and their size grow as the log rotates, and match the
// engine's Stats.
func TestMetricSegmentsGrowWithRotation(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	s := omSpawn(t, omSystem(t), reader, actors.Config{Storage: storage.Options{SegmentSize: 4 << 10, Preallocate: -1}})
	got := omCollect(t, reader)
	count0, usage0 := got["batpak.segment.count"].one(t).value, got["batpak.segment.usage"].one(t).value
	payload := make([]byte, 1<<10)
	for range 20 {
		omAppend(t, s, "rot/1", payload)
	}
	got = omCollect(t, reader)
	st, err := s.Stats()
	require.NoError(t, err)
	count, usage := got["batpak.segment.count"].one(t).value, got["batpak.segment.usage"].one(t).value
	require.Greater(t, count, count0+2, "20 KiB in 4 KiB segments")
	require.Greater(t, usage, usage0+20<<10)
	require.Equal(t, float64(st.Segments), count)
	require.Equal(t, float64(st.SegmentBytes), usage)
}

// The engine's open time is recorded at Spawn and again at a restart, and
// the last one is a gauge of its own.
func TestMetricOpenTimeAtSpawnAndRestart(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	s := omSpawn(t, omSystem(t), reader, actors.Config{Policy: supervision.Bounded(3, time.Minute)})
	omAppend(t, s, "crash/1", nil)
	actorstest.CrashWriter(s, "test: restart")
	omAppend(t, s, "crash/1", nil) // taken by the restarted writer
	got := omCollect(t, reader)
	m := got["batpak.engine.open.duration"]
	spawn := m.one(t, "batpak.store", "batpak", "batpak.open.cause", "spawn")
	restart := m.one(t, "batpak.store", "batpak", "batpak.open.cause", "restart")
	require.Equal(t, uint64(1), spawn.count)
	require.Equal(t, uint64(1), restart.count)
	require.Positive(t, restart.value)
	require.Equal(t, restart.value, got["batpak.engine.open.last_duration"].one(t).value, "the restart's")
	require.Equal(t, 1.0, got["batpak.writer.restarts"].one(t).value)
}

// Two stores in one process, one meter provider: their points are told
// apart by batpak.store, and a closed store's gauges are gone.
func TestMetricsOfTwoStores(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	sys := omSystem(t)
	stores := map[string]*actors.Store{}
	for _, name := range []string{"a", "b"} {
		s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir(), Name: name, MeterProvider: provider,
			Storage: storage.Options{SegmentSize: 4 << 10, Preallocate: -1}})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close(context.Background()) })
		stores[name] = s
	}
	pid, _, err := stores["a"].Subscribe(newHeld().props(), storage.Filter{}, 0)
	require.NoError(t, err)
	for range 10 {
		omAppend(t, stores["b"], "b/1", make([]byte, 1<<10))
	}
	got := omCollect(t, reader)
	require.Equal(t, 1.0, got["batpak.subscriber.count"].one(t, "batpak.store", "a").value)
	require.Zero(t, got["batpak.subscriber.count"].one(t, "batpak.store", "b").value)
	got["batpak.subscriber.lag.events"].one(t, "batpak.store", "a", "batpak.subscriber", pid.Id)
	require.Empty(t, got["batpak.subscriber.lag.events"].with("batpak.store", "b"))
	require.Equal(t, 1.0, got["batpak.segment.count"].one(t, "batpak.store", "a").value)
	require.Greater(t, got["batpak.segment.count"].one(t, "batpak.store", "b").value, 1.0)

	require.NoError(t, stores["a"].Close(context.Background()))
	got = omCollect(t, reader)
	for _, name := range []string{"batpak.subscriber.count", "batpak.subscriber.lag.events", "batpak.segment.count",
		"batpak.segment.usage", "batpak.engine.open.last_duration", "batpak.writer.queue.events", "batpak.writer.queue.bytes"} {
		require.Empty(t, got[name].with("batpak.store", "a"), "%s of a closed store", name)
	}
	got["batpak.segment.count"].one(t, "batpak.store", "b")
}

// The README's metrics table lists every metric the store reports, with
// its unit, and nothing it does not report.
func TestReadmeListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	listed := map[string]string{} // name: unit
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
			_, unit, _ := strings.Cut(cells[1], ", ")
			listed[name] = unit
		}
	}
	reader := sdkmetric.NewManualReader()
	s := omSpawn(t, omSystem(t), reader, actors.Config{})
	_, _, err = s.Subscribe(newHeld().props(), storage.Filter{}, 0)
	require.NoError(t, err)
	omAppend(t, s, "readme/1", nil) // the histograms' first measurement
	reported := map[string]string{}
	for name, m := range omCollect(t, reader) {
		reported[name] = m.unit
	}
	require.Equal(t, reported, listed)
}

// A store stopped from outside (its supervisor, or its parent with
// SpawnIn, stopped) reports no gauges once Done is closed, as after Close.
func TestMetricsOfAStoreStoppedFromOutside(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	sys := omSystem(t)
	s := omSpawn(t, sys, reader, actors.Config{Name: "outside"})
	_, _, err := s.Subscribe(newHeld().props(), storage.Filter{}, 0)
	require.NoError(t, err)
	require.NotEmpty(t, omCollect(t, reader)["batpak.subscriber.lag.events"].with("batpak.store", "outside"))
	sys.Root.Stop(s.Supervisor())
	<-s.Done()
	got := omCollect(t, reader)
	for _, name := range []string{"batpak.subscriber.count", "batpak.subscriber.queue.events", "batpak.subscriber.lag.events",
		"batpak.subscriber.lag.age", "batpak.segment.count", "batpak.segment.usage", "batpak.engine.open.last_duration",
		"batpak.writer.queue.events", "batpak.writer.queue.bytes"} {
		require.Empty(t, got[name].with("batpak.store", "outside"), "%s of a stopped store", name)
	}
}
