package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// clearOTELEnv unsets the variables that would make the demo export.
func clearOTELEnv(t *testing.T) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"} {
		t.Setenv(k, "")
	}
}

// With no OTEL_* variable set the demo exports nothing, tells the crash
// and the restart in plain lines (no raw spans), and ends with its summary.
func TestDemoRuns(t *testing.T) {
	clearOTELEnv(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{dir: filepath.Join(t.TempDir(), "data"), orders: 12}))
	s := out.String()
	require.Contains(t, s, "telemetry stays in this process")
	require.Contains(t, s, "halfway: the writer is held, order/late is sent, then a panic")
	require.Regexp(t, regexp.MustCompile(`writer crashed \(panic "demo: injected writer panic"\): the [1-9]\d* request\(s\) it held were never acknowledged; anything written for them was cut from segment \d+`), s)
	require.Regexp(t, regexp.MustCompile(`writer restarted: policy bounded\(3 within 1m0s\), restart 1 \(failure 1 in its window\); segment (\d+) sealed, writing goes on in segment \d+; no data loss`), s)
	require.Regexp(t, regexp.MustCompile(`order/late: first answered ErrWriterCrashed, then sent again with its idempotency key: written once \(seq \d+, attempt 2\)`), s)
	require.Contains(t, s, "auditor saw all 36 events; slow mailer saw all 12 reservations")
	require.Regexp(t, regexp.MustCompile(`summary: 36 events in \d+ streams, \d+ commit groups, 1 writer restart\(s\)`), s)
	require.Contains(t, s, "hash chains verified:")
	require.Regexp(t, regexp.MustCompile(`the mail's causes, nearest first: stock/sku-\d order/\d-00`), s)
	require.NotContains(t, s, `"Name":`, "no raw span without -spans")
	for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		require.Less(t, len(line), 300, "a line a terminal can show: %s", line)
	}
}

// -spans adds the raw spans of the restart and of the traced order.
func TestDemoPrintsSpansOnRequest(t *testing.T) {
	clearOTELEnv(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{dir: filepath.Join(t.TempDir(), "data"), orders: 4, spans: true}))
	require.Contains(t, out.String(), `"Name":"batpak.writer.restart"`)
	require.Contains(t, out.String(), `"Name":"demo.place_order"`)
}

func TestDemoRefusesTooFewOrders(t *testing.T) {
	require.ErrorContains(t, run(context.Background(), &bytes.Buffer{}, options{dir: t.TempDir(), orders: 1}), "-orders must be at least 2")
}
