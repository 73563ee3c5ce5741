package main

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// WriteCSV writes one line per cell: workload, system, durable at ack,
// value and unit, latencies, ratio to the disk, and the error or n/a reason.
func (r *Results) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"workload", "system", "durable_at_ack", "value", "unit", "p50_us", "p99_us", "events", "disk_ratio", "note"}); err != nil {
		return err
	}
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }
	for row := Row(0); row < numRows; row++ {
		for col, sys := range r.Systems {
			c := r.Cells[row][col]
			if !c.Done {
				continue
			}
			value, unit := strconv.FormatFloat(c.Rate, 'f', 0, 64), "events/s"
			switch {
			case isLatency(row):
				value, unit = us(c.P50), "p50_us"
			case isDuration(row):
				value, unit = strconv.FormatFloat(c.Dur.Seconds(), 'f', 6, 64), "s"
			case isBytes(row):
				value, unit = strconv.FormatFloat(c.Bytes, 'f', 1, 64), "B/event"
			}
			note := ""
			if c.Err != nil {
				value, note = "", c.Err.Error()
			}
			ratio := ""
			if x := r.DiskRatio(row, col); x > 0 {
				ratio = strconv.FormatFloat(x, 'f', 4, 64)
			}
			rec := []string{r.Label(row), sys, strconv.FormatBool(r.Durable[col]), value, unit,
				us(c.P50), us(c.P99), strconv.Itoa(c.Events), ratio, note}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
