package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// telemetry is the demo's OpenTelemetry set-up: traces and metrics are
// exported as the standard OTEL_* environment variables say (through
// OpenTelemetry contrib's autoexport: OTLP over http/protobuf or grpc,
// console, none...), and kept in the process when it says nothing; the
// narrator prints the writer's crashes and restarts; a manual reader gives
// the summary its figures.
type telemetry struct {
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader // the summary's
	// exporting says where traces and metrics go, for the first line.
	exporting string
}

// newTelemetry sets the providers up. Spans are printed raw to w as well
// when spans is set (the restarts and one traced order).
func newTelemetry(ctx context.Context, w io.Writer, spans bool) (*telemetry, error) {
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "batpak-demo")),
		resource.WithFromEnv(), resource.WithTelemetrySDK()) // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	if err != nil {
		return nil, err
	}
	tel := &telemetry{reader: sdkmetric.NewManualReader()}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSpanProcessor(&narrator{w: w})}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(tel.reader)}
	if spans {
		out, err := stdouttrace.New(stdouttrace.WithWriter(w))
		if err != nil {
			return nil, err
		}
		topts = append(topts, sdktrace.WithSpanProcessor(&shown{SpanProcessor: sdktrace.NewSimpleSpanProcessor(out)}))
	}
	spanExp, err := autoexport.NewSpanExporter(ctx, tracesOffline()...)
	if err != nil {
		return nil, fmt.Errorf("traces exporter (OTEL_* environment): %w", err)
	}
	metricReader, err := autoexport.NewMetricReader(ctx, metricsOffline()...)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("metrics exporter (OTEL_* environment): %w", err), shutdownExporter(ctx, spanExp))
	}
	var sent []string
	if spanExp != nil && !autoexport.IsNoneSpanExporter(spanExp) {
		topts = append(topts, sdktrace.WithBatcher(spanExp))
		sent = append(sent, "traces")
	}
	if metricReader != nil && !autoexport.IsNoneMetricReader(metricReader) {
		mopts = append(mopts, sdkmetric.WithReader(metricReader)) // periodic: OTEL_METRIC_EXPORT_INTERVAL
		sent = append(sent, "metrics")
	}
	tel.tp, tel.mp = sdktrace.NewTracerProvider(topts...), sdkmetric.NewMeterProvider(mopts...)
	tel.exporting = describeExport(sent)
	return tel, nil
}

// The options below make autoexport export nothing for a signal unless an
// OTLP endpoint is set for it (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _METRICS_ENDPOINT). autoexport uses
// a fallback only while OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER is
// unset; its own default would be OTLP to localhost:4318, and the demo must
// not try to reach a collector nobody asked for. A fallback's nil means "no
// exporter".

func tracesOffline() []autoexport.SpanOption {
	if endpointSet("TRACES") {
		return nil
	}
	return []autoexport.SpanOption{autoexport.WithFallbackSpanExporter(
		func(context.Context) (sdktrace.SpanExporter, error) { return nil, nil })}
}

func metricsOffline() []autoexport.MetricOption {
	if endpointSet("METRICS") {
		return nil
	}
	return []autoexport.MetricOption{autoexport.WithFallbackMetricReader(
		func(context.Context) (sdkmetric.Reader, error) { return nil, nil })}
}

// endpointSet reports whether an OTLP endpoint is set for the signal.
func endpointSet(signal string) bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") != ""
}

// describeExport says where the telemetry goes, in one line.
func describeExport(sent []string) string {
	if len(sent) == 0 {
		return "telemetry stays in this process (set OTEL_EXPORTER_OTLP_ENDPOINT to export traces and metrics over OTLP; -spans prints spans)"
	}
	return fmt.Sprintf("%s exported as OTEL_* says (OTEL_EXPORTER_OTLP_ENDPOINT=%q, OTEL_EXPORTER_OTLP_PROTOCOL=%q)",
		strings.Join(sent, " and "), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
}

// shutdownExporter shuts down a span exporter made before a later step failed.
func shutdownExporter(ctx context.Context, e sdktrace.SpanExporter) error {
	if e == nil {
		return nil
	}
	return e.Shutdown(ctx)
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

// shutdown flushes what is left to the exporters (the spans in the batch,
// the metrics' final collection) and stops the providers.
func (t *telemetry) shutdown(ctx context.Context) error {
	return errors.Join(t.tp.Shutdown(ctx), t.mp.Shutdown(ctx))
}
