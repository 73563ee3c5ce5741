package main

import (
	"errors"
	"fmt"
	"time"
)

// Row is one workload of the table.
type Row int

// The table's rows, in order.
const (
	RowAppend1 Row = iota
	RowLatency1
	RowAppend16
	RowLatency16
	RowAppend256
	RowLatency256
	RowExpected
	RowIdempotent
	RowBatch
	RowColdStart
	RowColdCrash
	RowReadEntity
	RowReadEntityBack
	RowScan
	RowPagedScan
	RowIndexMemory
	RowDiskBytes
	numRows
)

// appendRows maps a producer count to its throughput and latency rows.
var appendRows = map[int][2]Row{1: {RowAppend1, RowLatency1}, 16: {RowAppend16, RowLatency16}, 256: {RowAppend256, RowLatency256}}

// Cell is one measurement: a rate, latencies, a duration or bytes per event.
type Cell struct {
	Rate     float64       // events/s (rate rows, reads)
	P50, P99 time.Duration // latency rows
	Dur      time.Duration // cold starts, reads
	Bytes    float64       // bytes per event (index memory, bytes on disk)
	Events   int           // events read or appended
	Err      error         // n/a or failure
	Done     bool          // the cell was measured (or failed)
}

// NA reports whether the cell is "not supported".
func (c Cell) NA() (string, bool) {
	var na errNA
	if errors.As(c.Err, &na) {
		return na.reason, true
	}
	return "", false
}

// Results holds every cell: rows × systems.
type Results struct {
	Systems []string
	Durable []bool
	Cells   [numRows][]Cell
	Quick   bool
	ColdN   int // events in the cold-start store
	CellDur time.Duration
}

// NewResults makes an empty table for the systems.
func NewResults(systems []System, quick bool, coldN int, d time.Duration) *Results {
	r := &Results{Quick: quick, ColdN: coldN, CellDur: d}
	for _, s := range systems {
		r.Systems = append(r.Systems, s.Name())
		r.Durable = append(r.Durable, s.DurableAtAck())
	}
	for i := range r.Cells {
		r.Cells[i] = make([]Cell, len(systems))
	}
	return r
}

// Set stores a cell.
func (r *Results) Set(row Row, col int, c Cell) {
	c.Done = true
	r.Cells[row][col] = c
}

// Label is the row's name.
func (r *Results) Label(row Row) string {
	switch row {
	case RowAppend1, RowAppend16, RowAppend256:
		return fmt.Sprintf("durable appends, %d producer(s): events/s", producersOf(row))
	case RowLatency1, RowLatency16, RowLatency256:
		return fmt.Sprintf("  latency per append, %d producer(s): p50 / p99", producersOf(row))
	case RowExpected:
		return fmt.Sprintf("appends with expected version, %d producers: events/s", occProducer)
	case RowIdempotent:
		return fmt.Sprintf("idempotent appends + 1 retry each, %d producers: unique events/s", occProducer)
	case RowBatch:
		return fmt.Sprintf("atomic batches of %d, %d producers: events/s", batchSize, batchProds)
	case RowColdStart:
		return fmt.Sprintf("cold start after %s events, clean close: open until ready", count(r.ColdN))
	case RowColdCrash:
		return fmt.Sprintf("cold start after a kill -9 mid-segment (%s events + %s unsealed): open until ready", count(r.ColdN), count(crashExtra(r.ColdN)))
	case RowReadEntity:
		return fmt.Sprintf("read one entity's stream (%s events)", count(r.ColdN/entities))
	case RowReadEntityBack:
		return fmt.Sprintf("read one entity's stream backward (%s events)", count(r.ColdN/entities))
	case RowScan:
		return fmt.Sprintf("full scan (%s events)", count(r.ColdN))
	case RowPagedScan:
		return fmt.Sprintf("paged read through actors (%s events, pages of %s)", count(r.ColdN), count(readPage))
	case RowIndexMemory:
		return "index memory per event (live heap after open)"
	case RowDiskBytes:
		return fmt.Sprintf("bytes on disk per %d-B event (after a clean close)", payloadSize)
	}
	return "?"
}

func producersOf(row Row) int {
	for n, rows := range appendRows {
		if rows[0] == row || rows[1] == row {
			return n
		}
	}
	return 0
}

// diskCol is the disk's column (always the first).
const diskCol = 0

// DiskRatio is the cell's rate over the disk's in the same row (0 if none).
func (r *Results) DiskRatio(row Row, col int) float64 {
	if col == diskCol {
		return 0
	}
	d, c := r.Cells[row][diskCol], r.Cells[row][col]
	if d.Err != nil || c.Err != nil || !d.Done || !c.Done {
		return 0
	}
	switch row {
	case RowLatency1, RowLatency16, RowLatency256:
		if d.P50 == 0 {
			return 0
		}
		return float64(c.P50) / float64(d.P50)
	case RowIndexMemory, RowDiskBytes:
		if d.Bytes == 0 {
			return 0
		}
		return c.Bytes / d.Bytes
	}
	if d.Rate == 0 {
		return 0
	}
	return c.Rate / d.Rate
}

// isLatency says whether a row holds latencies.
func isLatency(row Row) bool {
	return row == RowLatency1 || row == RowLatency16 || row == RowLatency256
}

// isDuration says whether a row holds a duration (cold starts, reads).
func isDuration(row Row) bool {
	switch row {
	case RowColdStart, RowColdCrash, RowReadEntity, RowReadEntityBack, RowScan, RowPagedScan:
		return true
	}
	return false
}

// isBytes says whether a row holds bytes per event.
func isBytes(row Row) bool { return row == RowIndexMemory || row == RowDiskBytes }

// count formats an event count: 1M, 100k, 1,000.
func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 10_000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	case n >= 1000:
		return fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return fmt.Sprint(n)
}

// rate formats events/s: 950/s, 12.3k/s, 1.25M/s.
func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM/s", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk/s", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk/s", v/1e3)
	}
	return fmt.Sprintf("%.0f/s", v)
}

// dur formats a duration with 3 significant digits: 245µs, 1.42ms, 2.10s.
func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fµs", float64(d)/1e3)
}
