package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// metricInterval is OTEL_METRIC_EXPORT_INTERVAL in the OTLP run.
const metricInterval = 50 * time.Millisecond

// otlpRun is the demo run whose telemetry went to a real OTLP/HTTP
// receiver; it runs once for all the tests that read it.
var otlpRun struct {
	once   sync.Once
	got    received
	out    string
	took   time.Duration
	opened time.Time // when the demo said the store was open (its subscribers subscribed)
	// caused maps the id of each event that caused others (a string) to
	// the entities of the events it caused directly, read from the store
	// the run left.
	caused map[string][]string
	err    error
}

// stampedWriter notes when the demo says the store is open.
type stampedWriter struct {
	bytes.Buffer
	opened time.Time
}

func (w *stampedWriter) Write(p []byte) (int, error) {
	if w.opened.IsZero() && bytes.Contains(p, []byte("store opened")) {
		w.opened = time.Now()
	}
	return w.Buffer.Write(p)
}

// demoOverOTLP runs the demo (once) with the standard OTEL_* variables
// pointing at a receiver, and returns what the receiver decoded. The
// demo's end (the providers' Shutdown) exports the last spans and the
// metrics' final collection before run returns, so nothing is waited for.
func demoOverOTLP(t *testing.T) received {
	t.Helper()
	otlpRun.once.Do(func() {
		r := newReceiver(t)
		for k, v := range map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": r.srv.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_METRIC_EXPORT_INTERVAL": strconvMillis(metricInterval),
			"OTEL_TRACES_EXPORTER":        "", "OTEL_METRICS_EXPORTER": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "",
			"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "", "OTEL_EXPORTER_OTLP_COMPRESSION": "",
		} {
			t.Setenv(k, v)
		}
		var out stampedWriter
		begin := time.Now()
		dir := filepath.Join(t.TempDir(), "data")
		otlpRun.err = run(context.Background(), &out, options{dir: dir, orders: 12})
		otlpRun.took, otlpRun.out, otlpRun.opened, otlpRun.got = time.Since(begin), out.String(), out.opened, r.received()
		if otlpRun.err == nil {
			otlpRun.caused, otlpRun.err = causes(dir)
		}
	})
	require.NoError(t, otlpRun.err, "the demo failed:\n%s", otlpRun.out)
	require.Empty(t, otlpRun.got.errs, "the receiver refused exports")
	return otlpRun.got
}

func strconvMillis(d time.Duration) string { return strings.TrimSuffix(d.String(), "ms") }

// causes reads the store in dir: for each event that caused others, the
// entities of the events it caused directly.
func causes(dir string) (map[string][]string, error) {
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	all, err := e.Query(storage.Filter{})
	out := map[string][]string{}
	for _, ev := range all {
		if !ev.CausationID.IsZero() {
			out[ev.CausationID.String()] = append(out[ev.CausationID.String()], ev.Coordinate.Entity)
		}
	}
	return out, err
}

// spans returns every span received.
func (r received) spans() []*tracepb.Span {
	var all []*tracepb.Span
	for _, req := range r.traces {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				all = append(all, ss.Spans...)
			}
		}
	}
	return all
}

func attr(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// The demo's traces, over OTLP/HTTP: the restart span is an error with the
// panic as an exception event, linked to the batpak.append spans of the
// requests the crash answered; the resource names the demo.
func TestDemoOTLPRestartSpan(t *testing.T) {
	got := demoOverOTLP(t)
	require.Contains(t, otlpRun.out, "traces and metrics exported as OTEL_* says")
	spans := got.spans()
	appends := map[string]bool{}
	var restarts []*tracepb.Span
	for _, s := range spans {
		switch s.Name {
		case actors.SpanAppend:
			appends[string(s.SpanId)] = true
		case supervision.SpanRestart:
			restarts = append(restarts, s)
		}
	}
	require.NotEmpty(t, appends, "no batpak.append span received")
	require.Len(t, restarts, 1, "one restart span")
	rs := restarts[0]
	require.Equal(t, tracepb.Status_STATUS_CODE_ERROR, rs.GetStatus().GetCode())
	var exception bool
	for _, e := range rs.Events {
		exception = exception || (e.Name == "exception" && strings.Contains(attr(e.Attributes, "exception.message").GetStringValue(), "demo: injected writer panic"))
	}
	require.True(t, exception, "the panic is an exception event")
	linked := 0
	for _, l := range rs.Links {
		if appends[string(l.SpanId)] {
			linked++
		}
	}
	require.Positive(t, linked, "the restart links to the batpak.append spans of the crashed requests (links: %d)", len(rs.Links))
	require.Equal(t, "bounded(3 within 1m0s)", attr(rs.Attributes, "batpak.policy").GetStringValue())
	require.Equal(t, "batpak-demo", attr(got.traces[0].ResourceSpans[0].Resource.Attributes, "service.name").GetStringValue())
}

// The demo names its kinds (Config.KindName = the typed registry's Name):
// an order's batpak.append span says batpak.kind.name = shop.order-placed.
func TestDemoOTLPKindNames(t *testing.T) {
	got := demoOverOTLP(t)
	names := map[string]bool{}
	for _, s := range got.spans() {
		if s.Name == "batpak.append" {
			if v := attr(s.Attributes, "batpak.kind.name"); v != nil {
				names[v.GetStringValue()] = true
			}
		}
	}
	require.True(t, names["shop.order-placed"], "kind names on the append spans: %v", names)
}

// A reaction's batpak.append span links (batpak.link = causation) to the
// batpak.append span of the event it reacts to: a stock reservation to its
// order's, so a saga can be followed across actors in a trace viewer. The
// reactor appends its reactions as batches, whose spans name no entity
// (batpak.batch.items instead): the link's batpak.causation names the
// trigger, and the store the run left says what that trigger caused, so a
// span that links to an order's append span as the cause of stock/ events
// is a stock reservation's append.
func TestDemoOTLPReactionLinked(t *testing.T) {
	got := demoOverOTLP(t)
	orders := map[string]bool{} // span ids of orders' appends
	var appends []*tracepb.Span
	for _, s := range got.spans() {
		if s.Name != actors.SpanAppend {
			continue
		}
		appends = append(appends, s)
		if strings.HasPrefix(attr(s.Attributes, "batpak.entity").GetStringValue(), "order/") {
			orders[string(s.SpanId)] = true
		}
	}
	require.NotEmpty(t, orders, "no order's batpak.append span received")
	linked, reactions := 0, 0
	for _, s := range appends {
		for _, l := range s.Links {
			if attr(l.Attributes, "batpak.link").GetStringValue() != "causation" {
				continue
			}
			caused := otlpRun.caused[attr(l.Attributes, "batpak.causation").GetStringValue()]
			if len(caused) == 0 || !strings.HasPrefix(caused[0], "stock/") {
				continue
			}
			reactions++
			require.Len(t, caused, 1, "one reservation per order")
			require.EqualValues(t, 1, attr(s.Attributes, "batpak.batch.items").GetIntValue(), "the reservation's append is the reactor's batch of one")
			if orders[string(l.SpanId)] {
				linked++
			}
			break
		}
	}
	require.Positive(t, reactions, "no stock reservation's batpak.append span links (batpak.link=causation) to its trigger")
	require.Positive(t, linked, "no stock reservation's batpak.append links (batpak.link=causation) to its order's batpak.append span (%d reactions)", reactions)
}

// readmeMetric is a row of the README's metric table.
type readmeMetric struct{ name, instrument, unit string }

// readmeMetrics reads the metric table of the README's "Traces and
// metrics" section: the metrics the store promises.
func readmeMetrics(t *testing.T) []readmeMetric {
	f, err := os.Open("../../README.md")
	require.NoError(t, err)
	defer f.Close()
	var ms []readmeMetric
	section, table := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = line == "## Traces and metrics"
			table = false
		}
		if !section || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		first := strings.TrimSpace(cells[1])
		if first == "metric" {
			table = true
			continue
		}
		if !table || !strings.HasPrefix(first, "`") {
			continue
		}
		m := readmeMetric{name: strings.Trim(first, "`")}
		kind, unit, _ := strings.Cut(strings.TrimSpace(cells[2]), ",")
		m.instrument, m.unit = strings.TrimSpace(kind), strings.TrimSpace(unit)
		ms = append(ms, m)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, ms, "no metric table in the README's \"Traces and metrics\" section")
	return ms
}

// metricsOf indexes an export's batpak.* metrics by name.
func metricsOf(req *metricspb.ResourceMetrics) map[string]*metricspb.Metric {
	out := map[string]*metricspb.Metric{}
	for _, sm := range req.ScopeMetrics {
		for _, m := range sm.Metrics {
			if strings.HasPrefix(m.Name, "batpak.") {
				out[m.Name] = m
			}
		}
	}
	return out
}

func exportMetrics(r received, i int) map[string]*metricspb.Metric {
	out := map[string]*metricspb.Metric{}
	for _, rm := range r.metrics[i].ResourceMetrics {
		for k, v := range metricsOf(rm) {
			out[k] = v
		}
	}
	return out
}

// collectedAt returns when export i was collected: its data points' time.
func collectedAt(r received, i int) time.Time {
	var ns uint64
	for _, rm := range r.metrics[i].ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch d := m.Data.(type) {
				case *metricspb.Metric_Sum:
					for _, p := range d.Sum.DataPoints {
						ns = max(ns, p.TimeUnixNano)
					}
				case *metricspb.Metric_Gauge:
					for _, p := range d.Gauge.DataPoints {
						ns = max(ns, p.TimeUnixNano)
					}
				case *metricspb.Metric_Histogram:
					for _, p := range d.Histogram.DataPoints {
						ns = max(ns, p.TimeUnixNano)
					}
				}
			}
		}
	}
	return time.Unix(0, int64(ns))
}

// pointAttrs returns the attribute lists of a metric's data points.
func pointAttrs(m *metricspb.Metric) [][]*commonpb.KeyValue {
	var out [][]*commonpb.KeyValue
	switch d := m.Data.(type) {
	case *metricspb.Metric_Sum:
		for _, p := range d.Sum.DataPoints {
			out = append(out, p.Attributes)
		}
	case *metricspb.Metric_Gauge:
		for _, p := range d.Gauge.DataPoints {
			out = append(out, p.Attributes)
		}
	case *metricspb.Metric_Histogram:
		for _, p := range d.Histogram.DataPoints {
			out = append(out, p.Attributes)
		}
	case *metricspb.Metric_ExponentialHistogram:
		for _, p := range d.ExponentialHistogram.DataPoints {
			out = append(out, p.Attributes)
		}
	}
	return out
}

// requireListed checks that every README metric of want is in ms, with
// its unit, and that each data point names the store.
func requireListed(t *testing.T, ms map[string]*metricspb.Metric, want []readmeMetric, which string) {
	t.Helper()
	for _, w := range want {
		m, ok := ms[w.name]
		require.True(t, ok, "%s is not in the %s metrics export (it has %d batpak metrics)", w.name, which, len(ms))
		if w.unit != "" {
			require.Equal(t, w.unit, m.Unit, "%s's unit", w.name)
		}
		points := pointAttrs(m)
		require.NotEmpty(t, points, "%s has no data point in the %s export", w.name, which)
		for _, p := range points {
			require.Equal(t, "batpak", attr(p, "batpak.store").GetStringValue(), "%s's data points carry batpak.store", w.name)
		}
	}
}

// The demo's metrics, over OTLP/HTTP: the first export collected after the
// store was opened (data points carry their collection time) holds every
// counter and gauge the README lists (a
// dashboard shows 0, not "no data"), each data point naming the store; the
// final export (the demo's shutdown flushes it, after the store closed and
// its gauges ended) holds every counter and histogram the README lists; batpak.commit.fsync has the README's
// buckets in seconds. Histograms are not asked of the first export: the
// SDK exports a histogram only once something was recorded, and no fsync
// has been timed before the first commit.
func TestDemoOTLPMetrics(t *testing.T) {
	got := demoOverOTLP(t)
	want := readmeMetrics(t)
	require.NotEmpty(t, got.metrics, "no metrics export received")
	require.False(t, otlpRun.opened.IsZero())
	first := -1
	for i := range got.metrics {
		if collectedAt(got, i).After(otlpRun.opened) {
			first = i
			break
		}
	}
	require.GreaterOrEqual(t, first, 0, "no export was collected after the store was opened")
	t.Logf("%d metrics exports in a %v run; the first after the store opened: #%d", len(got.metrics), otlpRun.took, first)
	var fromStart []readmeMetric
	for _, w := range want {
		if !strings.Contains(w.instrument, "histogram") {
			fromStart = append(fromStart, w)
		}
	}
	require.NotEmpty(t, fromStart)
	requireListed(t, exportMetrics(got, first), fromStart, "first")
	// The final export comes after Close: a closed store's gauges are gone
	// (the demo flushed them before closing); counters and histograms stay.
	var notGauges []readmeMetric
	for _, w := range want {
		if !strings.Contains(w.instrument, "gauge") {
			notGauges = append(notGauges, w)
		}
	}
	last := exportMetrics(got, len(got.metrics)-1)
	requireListed(t, last, notGauges, "final")

	fsync := last["batpak.commit.fsync"].GetHistogram()
	require.NotNil(t, fsync, "batpak.commit.fsync is a histogram")
	require.Len(t, fsync.DataPoints, 1)
	p := fsync.DataPoints[0]
	require.Equal(t, actors.FsyncBuckets, p.ExplicitBounds)
	require.Len(t, p.BucketCounts, len(actors.FsyncBuckets)+1)
	var n uint64
	for _, c := range p.BucketCounts {
		n += c
	}
	require.Equal(t, p.Count, n, "the buckets hold every fsync")
	require.Positive(t, p.Count)
	require.Positive(t, p.GetSum())
	require.Less(t, p.GetSum()/float64(p.Count), 1.0, "fsync times are in seconds")
	t.Logf("fsyncs per bucket (bounds %v s): %v", actors.FsyncBuckets, p.BucketCounts)

	// OTEL_METRIC_EXPORT_INTERVAL is honoured: a run of many intervals
	// exports before its end, not only at shutdown.
	if otlpRun.took > 5*metricInterval {
		require.GreaterOrEqual(t, len(got.metrics), 2, "a %v run with a %v export interval exported only at its end", otlpRun.took, metricInterval)
	}
}
