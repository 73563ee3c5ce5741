package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/storage"
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
	dir := filepath.Join(t.TempDir(), "data")
	require.NoError(t, run(context.Background(), &out, options{dir: dir, orders: 12}))
	s := out.String()
	require.Contains(t, s, "telemetry stays in this process")
	require.Contains(t, s, "store opened in")
	require.Contains(t, s, "typed events: shop.order-placed v1 (kind 1:001, OrderPlaced), shop.stock-reserved v1 (kind 2:001, StockReserved), shop.mail-queued v1 (kind 3:001, MailQueued)")
	require.Contains(t, s, "halfway: the writer is held, order/late's command sends its append, then a panic")
	require.Regexp(t, regexp.MustCompile(`writer crashed \(panic "demo: injected writer panic"\): the [1-9]\d* request\(s\) it held were never acknowledged; anything written for them was cut from segment \d+`), s)
	require.Regexp(t, regexp.MustCompile(`writer restarted: policy bounded\(3 within 1m0s\), restart 1 \(failure 1 in its window\); segment (\d+) sealed, writing goes on in segment \d+; no data loss`), s)
	require.Regexp(t, regexp.MustCompile(`order/late: first answered ErrWriterCrashed, then its command was run again with the same command id: written once \(seq \d+, attempt 2\)`), s)
	require.Regexp(t, regexp.MustCompile(`totals \(a live projection\) read its own write: WaitFor\(seq (\d+)\) answered at position \d+, order/late counted among \d+ orders`), s)
	require.Regexp(t, regexp.MustCompile(`order/phone-1: desks 1 and 2 take it at once, both decide on version 0; desk ([12])'s append met a version conflict, its command loaded the new event, decided again and was rejected \(command: rejected: already placed by desk [12], attempt 2\); desk [12]'s was written \(seq \d+\)`), s)
	require.Contains(t, s, "desk 2 orders 40 units: denied by gate order_limit (over_limit): order/2-bulk: 40 units, at most 10 per order; nothing written")
	require.Contains(t, s, "auditor saw all 36 events; slow mailer saw all 12 reservations")
	require.Regexp(t, regexp.MustCompile(`summary: 36 events in \d+ streams, \d+ commit groups, 1 writer restart\(s\)`), s)
	require.Regexp(t, regexp.MustCompile(`reactors: reserve-stock wrote 12 \(\d+ failed append\(s\) retried\), queue-mail wrote 12 \(\d+ failed append\(s\) retried\)`), s)
	require.Regexp(t, regexp.MustCompile(`totals \(live projection at position 36\): 12 orders of \d+ units \(orders/units desk 0: \d+/\d+, desk 1: \d+/\d+, desk 2: \d+/\d+\), 12 reservations of \d+ units, 12 mails`), s)
	require.Regexp(t, regexp.MustCompile(`totals stopped \(checkpoint .*totals.ckpt\) and spawned again: resumed from position 36, the same totals`), s)
	require.Contains(t, s, "hash chains verified:")
	require.Regexp(t, regexp.MustCompile(`saga of order/\d-00:\n  seq=\d+ +order/\d-00 +v1 shop.order-placed +cause=- +\{Desk:\d SKU:sku-\d Qty:1\}\n  seq=\d+ +stock/sku-\d +v1 shop.stock-reserved .*\{Order:order/\d-00 Qty:1\}\n  seq=\d+ +mail/\d-00 +v\d shop.mail-queued .*\{Order:order/\d-00 Template:confirmation\}\n`), s)
	require.Regexp(t, regexp.MustCompile(`the mail's causes, nearest first \(Ancestors\): stock/sku-\d order/\d-00\n`), s)
	require.Regexp(t, regexp.MustCompile(`what order/(\d)-00 caused, in order \(Descendants\): stock/sku-\d mail/\d-00\n`), s)
	// The store the demo left: the raced order and the late one written
	// once, the refused one not at all, every event typed.
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	reg := newRegistry()
	for entity, n := range map[string]int{"order/phone-1": 1, "order/late": 1, "order/2-bulk": 0} {
		evs, err := e.Stream(shop(entity), 1)
		require.NoError(t, err)
		require.Len(t, evs, n, entity)
	}
	all, err := e.Query(storage.Filter{})
	require.NoError(t, err)
	require.Len(t, all, 36)
	for _, ev := range all {
		_, err := typed.Decode(reg, ev)
		require.NoError(t, err, "event %d on %s", ev.Sequence, ev.Coordinate.Entity)
	}
	require.NotContains(t, s, `"Name":`, "no raw span without -spans")
	for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		require.Less(t, len(line), 300, "a line a terminal can show: %s", line)
	}
}

// A second run in the same directory clears the first one's store and
// checkpoints: each run starts fresh (its projection is not resumed from
// the last run's checkpoint).
func TestDemoRunsTwiceInOneDirectory(t *testing.T) {
	clearOTELEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	for range 2 {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), &out, options{dir: dir, orders: 3}))
		require.Contains(t, out.String(), "totals (live projection at position 9): 3 orders")
		require.Contains(t, out.String(), "resumed from position 9, the same totals")
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
	require.ErrorContains(t, run(context.Background(), &bytes.Buffer{}, options{dir: t.TempDir(), orders: 2}), "-orders must be at least 3")
}
