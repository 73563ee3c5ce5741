package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/supervision"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// telemetry is the demo's OpenTelemetry set-up: a tracer provider that
// exports to stdout (or OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set)
// and a meter provider read at the end for the summary.
type telemetry struct {
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

func newTelemetry(ctx context.Context, w io.Writer) (*telemetry, error) {
	var exporter sdktrace.SpanExporter
	var proc func(sdktrace.SpanExporter) sdktrace.SpanProcessor
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		e, err := otlptracehttp.New(ctx) // endpoint and headers from the standard environment
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(w, "traces go over OTLP/HTTP to", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
		exporter, proc = e, func(e sdktrace.SpanExporter) sdktrace.SpanProcessor { return sdktrace.NewBatchSpanProcessor(e) }
	} else {
		e, err := stdouttrace.New(stdouttrace.WithWriter(w))
		if err != nil {
			return nil, err
		}
		exporter = e
		// On stdout, print the restarts and one traced order (its spans and
		// the commit that made it durable), not every span of the run.
		proc = func(e sdktrace.SpanExporter) sdktrace.SpanProcessor {
			return &shown{SpanProcessor: sdktrace.NewSimpleSpanProcessor(e)}
		}
	}
	reader := sdkmetric.NewManualReader()
	return &telemetry{
		tp:     sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc(exporter))),
		mp:     sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		reader: reader,
	}, nil
}

// shown passes on the spans worth reading on a terminal.
type shown struct{ sdktrace.SpanProcessor }

func (s *shown) OnEnd(sp sdktrace.ReadOnlySpan) {
	switch sp.Name() {
	case supervision.SpanRestart, supervision.SpanStopped, tracedOrderSpan:
		s.SpanProcessor.OnEnd(sp)
	case actors.SpanAppend:
		if sp.Parent().IsValid() { // an append made inside a traced order
			s.SpanProcessor.OnEnd(sp)
		}
	case actors.SpanCommit:
		for _, l := range sp.Links() {
			if traced.Load() && l.SpanContext.TraceID() == tracedID() {
				s.SpanProcessor.OnEnd(sp)
				return
			}
		}
	}
}

// groups returns how many commit groups the writer committed.
func (t *telemetry) groups(ctx context.Context) (int64, error) {
	var rm metricdata.ResourceMetrics
	if err := t.reader.Collect(ctx, &rm); err != nil {
		return 0, err
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[int64]); ok && m.Name == "batpak.commit.group_size" {
				var n int64
				for _, p := range h.DataPoints {
					n += int64(p.Count)
				}
				return n, nil
			}
		}
	}
	return 0, nil
}

func (t *telemetry) shutdown(ctx context.Context) error {
	if err := t.tp.Shutdown(ctx); err != nil {
		return err
	}
	return t.mp.Shutdown(ctx)
}
