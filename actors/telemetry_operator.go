package actors

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batpak-go/batpak/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// GroupSizeBuckets are the bucket boundaries, in events, of the
// batpak.commit.group_size histogram: powers of two from 1 to 1024 (the
// default Config.MaxGroupEvents), so that lone appends (1), small groups
// and full ones each have buckets of their own.
var GroupSizeBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}

// OpenBuckets are the bucket boundaries, in seconds, of the
// batpak.engine.open.duration histogram: 500 µs (an empty store, a
// restart that takes the crashed engine's index over) to 60 s (the
// recovery of a large log without index checkpoints, which has been
// measured at 1.4 to 2 s per million events), about three per decade.
var OpenBuckets = []float64{500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, 30, 60}

// operator holds the gauges an operator watches (the writer's queue, the
// subscribers' queues and lag, the log's segments and their size) and the
// engine's open time; the writer's counters and histograms are in
// telemetry. The gauges are read by one callback, registered when the
// engine first opens (so a store whose Spawn failed leaves none behind)
// and unregistered at Close (a closed store reports none). The package
// documentation lists every metric.
type operator struct {
	meter metric.Meter
	store metric.MeasurementOption // batpak.store
	subs  subscribers
	// commits are the recent groups' times, for the lag's age.
	commits commitTimes

	openTime           metric.Float64Histogram
	onSpawn, onRestart metric.MeasurementOption
	lastOpen           atomic.Int64 // nanoseconds

	queueEvents, queueBytes                        metric.Int64ObservableGauge // the writer's
	subCount, subQueue, subLag, segCount, segUsage metric.Int64ObservableGauge
	subAge, lastOpenGauge                          metric.Float64ObservableGauge

	mu     sync.Mutex
	reg    metric.Registration // nil until registered
	closed bool
}

func newOperator(cfg Config) *operator {
	m := cfg.MeterProvider.Meter(instrumentation)
	store := storeAttr(cfg.Name)
	o := &operator{meter: m, store: metric.WithAttributeSet(attribute.NewSet(store)),
		subs:      subscribers{store: store, byPID: map[string]watched{}},
		onSpawn:   metric.WithAttributeSet(attribute.NewSet(store, attribute.String("batpak.open.cause", "spawn"))),
		onRestart: metric.WithAttributeSet(attribute.NewSet(store, attribute.String("batpak.open.cause", "restart")))}
	// Instrument creation fails only on invalid names (see newTelemetry).
	o.openTime, _ = m.Float64Histogram("batpak.engine.open.duration", metric.WithUnit("s"),
		metric.WithDescription("time the writer took to open the engine: at Spawn, and at each restart"),
		metric.WithExplicitBucketBoundaries(OpenBuckets...))
	o.lastOpenGauge, _ = m.Float64ObservableGauge("batpak.engine.open.last_duration", metric.WithUnit("s"),
		metric.WithDescription("time the last open of the engine took (Spawn's, or the last restart's)"))
	o.queueEvents, _ = m.Int64ObservableGauge("batpak.writer.queue.events", metric.WithUnit("{event}"),
		metric.WithDescription("append events queued for the writer (bound: Config.MaxQueuedEvents)"))
	o.queueBytes, _ = m.Int64ObservableGauge("batpak.writer.queue.bytes", metric.WithUnit("By"),
		metric.WithDescription("append payload bytes queued for the writer (bound: Config.MaxQueuedBytes)"))
	o.subCount, _ = m.Int64ObservableGauge("batpak.subscriber.count", metric.WithUnit("{subscriber}"),
		metric.WithDescription("subscribers registered with the fanout"))
	o.subQueue, _ = m.Int64ObservableGauge("batpak.subscriber.queue.events", metric.WithUnit("{event}"),
		metric.WithDescription("events queued in a subscriber's bounded mailbox, not yet taken"))
	o.subLag, _ = m.Int64ObservableGauge("batpak.subscriber.lag.events", metric.WithUnit("{event}"),
		metric.WithDescription("events of the log after those a subscriber has handled"))
	o.subAge, _ = m.Float64ObservableGauge("batpak.subscriber.lag.age", metric.WithUnit("s"),
		metric.WithDescription("age of the oldest event a subscriber has not handled (0 when caught up)"))
	o.segCount, _ = m.Int64ObservableGauge("batpak.segment.count", metric.WithUnit("{segment}"),
		metric.WithDescription("segment files of the log"))
	o.segUsage, _ = m.Int64ObservableGauge("batpak.segment.usage", metric.WithUnit("By"),
		metric.WithDescription("size of the segment files on disk"))
	return o
}

// timedOpen is openEngine, timed for batpak.engine.open.duration.
func (w *writer) timedOpen(cut *storage.Position, restart bool) (*storage.Engine, error) {
	t0 := time.Now()
	e, err := w.openEngine(cut)
	if err == nil {
		w.sh.ops.opened(w.sh, time.Since(t0), restart)
	}
	return e, err
}

// opened records an open of the engine that took d; the first registers
// the gauges' callback.
func (o *operator) opened(sh *shared, d time.Duration, restart bool) {
	cause := o.onSpawn
	if restart {
		cause = o.onRestart
	}
	o.openTime.Record(context.Background(), d.Seconds(), cause)
	o.lastOpen.Store(int64(d))
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reg != nil || o.closed {
		return
	}
	o.reg, _ = o.meter.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		o.observe(sh, ob)
		return nil
	}, o.queueEvents, o.queueBytes, o.subCount, o.subQueue, o.subLag, o.subAge, o.segCount, o.segUsage, o.lastOpenGauge)
}

// unregister stops the gauges (at Close): a closed store reports nothing.
func (o *operator) unregister() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	if o.reg != nil {
		_ = o.reg.Unregister()
		o.reg = nil
	}
}

// observe reports the gauges.
func (o *operator) observe(sh *shared, ob metric.Observer) {
	ob.ObserveFloat64(o.lastOpenGauge, time.Duration(o.lastOpen.Load()).Seconds(), o.store)
	if sh.adm != nil { // made with the writer's props, before the first open
		ob.ObserveInt64(o.queueEvents, sh.adm.depth.events.Load(), o.store)
		ob.ObserveInt64(o.queueBytes, sh.adm.depth.bytes.Load(), o.store)
	}
	ob.ObserveInt64(o.subCount, sh.subscribers.Load(), o.store)
	var head uint64 // one past the last committed event
	if e := sh.engine.Load(); e != nil {
		st := e.Stats()
		head = st.NextSequence
		ob.ObserveInt64(o.segCount, int64(st.Segments), o.store)
		ob.ObserveInt64(o.segUsage, st.SegmentBytes, o.store)
	}
	fanned := o.subs.fanned.Load() // before the subscribers' positions
	now := time.Now().UnixMilli()
	o.subs.mu.Lock()
	defer o.subs.mu.Unlock()
	for _, w := range o.subs.byPID {
		ob.ObserveInt64(o.subQueue, w.mb.queued.Load(), w.attrs)
		lag, age := int64(0), 0.0
		if pos := w.position(fanned); head > pos {
			lag = int64(head - pos)
			if wall, ok := o.commits.wallOf(pos); ok && now > wall {
				age = float64(now-wall) / 1e3
			}
		}
		ob.ObserveInt64(o.subLag, lag, w.attrs)
		ob.ObserveFloat64(o.subAge, age, w.attrs)
	}
}
