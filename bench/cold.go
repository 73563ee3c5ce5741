package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"
)

// coldRows are the rows measured on each system's cold-start store.
var coldRows = []Row{RowColdStart, RowColdCrash, RowReadEntity, RowReadEntityBack, RowScan, RowPagedScan, RowIndexMemory, RowDiskBytes}

// coldAndReads fills a store with r.ColdN events and closes it; measures
// its bytes on disk, the reopen, the reads on the reopened store and the
// index memory; then appends crashExtra more events, leaves the store as a
// kill -9 would and measures the reopen again.
func (r *Runner) coldAndReads(ctx context.Context, sys System, col int, res *Results) {
	fail := func(err error) {
		for _, row := range coldRows {
			if !res.Cells[row][col].Done {
				res.Set(row, col, Cell{Err: err})
			}
		}
		r.Log("  cold start / reads: %v", err)
	}
	if ctx.Err() != nil {
		fail(ctx.Err())
		return
	}
	dir, err := r.fresh("cold")
	if err != nil {
		fail(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := r.fill(sys, dir); err != nil {
		fail(err)
		return
	}
	r.diskBytes(sys, dir, col, res)
	if err := r.reopenAndRead(sys, dir, col, res); err != nil {
		fail(err)
		return
	}
	r.indexMemory(sys, dir, col, res)
	if ctx.Err() != nil {
		fail(ctx.Err())
		return
	}
	if err := r.crashAndReopen(ctx, sys, dir, col, res); err != nil {
		fail(err)
	}
}

// fill opens sys on dir, appends r.ColdN events and closes it.
func (r *Runner) fill(sys System, dir string) error {
	if err := sys.Open(dir, 1); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	t0 := time.Now()
	if err := sys.Fill(r.ColdN); err != nil {
		sys.Close()
		return fmt.Errorf("fill: %w", err)
	}
	r.Log("  filled %s events in %s (%s)", count(r.ColdN), dur(time.Since(t0)), dirSize(dir))
	if err := sys.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// diskBytes measures the data files of the closed store, per event.
func (r *Runner) diskBytes(sys System, dir string, col int, res *Results) {
	b, err := dataBytes(sys, dir)
	c := Cell{Bytes: float64(b) / float64(r.ColdN), Events: r.ColdN, Err: err}
	res.Set(RowDiskBytes, col, c)
	r.Log("  %-60s %.1f B %s", res.Label(RowDiskBytes), c.Bytes, errText(err))
}

// reopenAndRead times the reopen of the closed store, reads one entity's
// stream forward and backward, scans everything at once and in pages, and
// closes the store.
func (r *Runner) reopenAndRead(sys System, dir string, col int, res *Results) error {
	t0 := time.Now()
	if err := sys.Open(dir, 1); err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	open := time.Since(t0)
	if _, ok := sys.(*diskSystem); ok {
		res.Set(RowColdStart, col, Cell{Err: notSupported("a plain file has nothing to recover")})
	} else {
		res.Set(RowColdStart, col, Cell{Dur: open, Events: r.ColdN})
		r.Log("  %-60s %s", res.Label(RowColdStart), dur(open))
	}
	want := r.ColdN / entities
	r.medianRead(RowReadEntity, col, res, want, func() (int, error) { return sys.ReadEntity(0) })
	r.medianRead(RowReadEntityBack, col, res, want, func() (int, error) { return sys.ReadEntityBackward(0) })
	r.readAll(RowScan, col, res, sys.Scan)
	r.readAll(RowPagedScan, col, res, sys.ScanPaged)
	if err := sys.Close(); err != nil {
		return fmt.Errorf("close after the reads: %w", err)
	}
	return nil
}

// medianRead times a read of want events: the median of repeated reads
// (at most 1 s, 21 reads).
func (r *Runner) medianRead(row Row, col int, res *Results, want int, read func() (int, error)) {
	var reads []time.Duration
	for start := time.Now(); len(reads) < 21 && (len(reads) == 0 || time.Since(start) < time.Second); {
		t := time.Now()
		n, err := read()
		if err == nil && n != want {
			err = fmt.Errorf("read %d events, want %d", n, want)
		}
		if err != nil {
			res.Set(row, col, Cell{Err: err})
			r.Log("  %-60s %s", res.Label(row), errText(err))
			return
		}
		reads = append(reads, time.Since(t))
	}
	sort.Slice(reads, func(i, j int) bool { return reads[i] < reads[j] })
	d := reads[len(reads)/2]
	res.Set(row, col, Cell{Dur: d, Rate: float64(want) / d.Seconds(), Events: want})
	r.Log("  %-60s %s", res.Label(row), dur(d))
}

// readAll times one read of the whole store.
func (r *Runner) readAll(row Row, col int, res *Results, read func() (int, error)) {
	t := time.Now()
	n, err := read()
	d := time.Since(t)
	if err == nil && n != r.ColdN {
		err = fmt.Errorf("read %d events, want %d", n, r.ColdN)
	}
	if err != nil {
		res.Set(row, col, Cell{Err: err})
		r.Log("  %-60s %s", res.Label(row), errText(err))
		return
	}
	res.Set(row, col, Cell{Dur: d, Rate: float64(n) / d.Seconds(), Events: n})
	r.Log("  %-60s %s", res.Label(row), dur(d))
}

// errIndexNotMeasured is the index row's n/a.
var errIndexNotMeasured = notSupported("the in-memory index is measured for the batpak engine only (the actors hold the same engine)")

// indexMemory measures the closed store's in-memory index, per event.
func (r *Runner) indexMemory(sys System, dir string, col int, res *Results) {
	m, ok := sys.(indexMeter)
	if !ok {
		res.Set(RowIndexMemory, col, Cell{Err: errIndexNotMeasured})
		return
	}
	b, err := m.IndexBytesPerEvent(dir)
	res.Set(RowIndexMemory, col, Cell{Bytes: b, Events: r.ColdN, Err: err})
	r.Log("  %-60s %.1f B %s", res.Label(RowIndexMemory), b, errText(err))
}

// crashAndReopen appends crashExtra events to the closed store, leaves it
// as a kill -9 would, times the reopen and checks that every acknowledged
// event is there.
func (r *Runner) crashAndReopen(ctx context.Context, sys System, dir string, col int, res *Results) error {
	if _, ok := sys.(*diskSystem); ok {
		res.Set(RowColdCrash, col, Cell{Err: notSupported("a plain file has nothing to recover")})
		return nil
	}
	extra := crashExtra(r.ColdN)
	t0 := time.Now()
	if err := crashStore(ctx, sys, dir, extra); err != nil {
		return fmt.Errorf("crash: %w", err)
	}
	r.Log("  appended %s events and crashed in %s", count(extra), dur(time.Since(t0)))
	t0 = time.Now()
	if err := sys.Open(dir, 1); err != nil {
		return fmt.Errorf("reopen after the crash: %w", err)
	}
	d := time.Since(t0)
	n, err := sys.Count()
	if want := r.ColdN + extra; err == nil && n != want {
		err = fmt.Errorf("after the crash the store holds %d events, %d were acknowledged", n, want)
	}
	err = errors.Join(err, sys.Close())
	res.Set(RowColdCrash, col, Cell{Dur: d, Events: n, Err: err})
	r.Log("  %-60s %s %s", res.Label(RowColdCrash), dur(d), errText(err))
	return nil
}
