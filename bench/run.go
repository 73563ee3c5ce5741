package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Runner runs every workload against every system, each in fresh
// directories under Tmp.
type Runner struct {
	Tmp     string        // parent of every data directory
	CellDur time.Duration // duration of each timed cell
	ColdN   int           // events in the cold-start store
	Log     func(format string, args ...any)
}

// fresh makes a new empty directory under r.Tmp.
func (r *Runner) fresh(name string) (string, error) {
	return os.MkdirTemp(r.Tmp, name+"-")
}

// Run fills res: the timed rows run workload by workload, every system
// back to back (so the disk's limit is measured next to the stores on a
// noisy machine), then each system's cold start and reads.
func (r *Runner) Run(ctx context.Context, systems []System, res *Results) {
	timed := func(row Row, producers int, op opFunc, plain bool) {
		r.Log("== %s", res.Label(row))
		for col, sys := range systems {
			if ctx.Err() != nil {
				res.Set(row, col, Cell{Err: ctx.Err()})
				continue
			}
			out, err := r.timedCell(ctx, sys, producers, op, plain)
			res.Set(row, col, Cell{Rate: out.Rate(), P50: out.P50, P99: out.P99, Events: out.Events, Err: err})
			if rows, ok := appendRows[producers]; ok && plain {
				res.Set(rows[1], col, Cell{P50: out.P50, P99: out.P99, Err: err})
			}
			r.Log("  %-28s %9s  p50 %s p99 %s %s", sys.Name(), rate(out.Rate()), dur(out.P50), dur(out.P99), errText(err))
		}
	}
	for _, n := range producerCounts {
		timed(appendRows[n][0], n, opAppend, true)
	}
	timed(RowExpected, occProducer, opExpected, false)
	timed(RowIdempotent, occProducer, opIdempotent, false)
	timed(RowBatch, batchProds, opBatch, false)
	for col, sys := range systems {
		r.Log("== cold start and reads: %s", sys.Name())
		r.coldAndReads(ctx, sys, col, res)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}

// timedCell opens sys in a fresh directory, runs the op from producers
// goroutines (or actors) for r.CellDur, checks the store holds what was
// acknowledged, and removes the directory.
// plain marks the plain durable-append rows, which a ConcurrentAppender
// drives itself.
func (r *Runner) timedCell(ctx context.Context, sys System, producers int, op opFunc, plain bool) (out Result, err error) {
	dir, err := r.fresh("cell")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	if err := sys.Open(dir, producers); err != nil {
		return out, fmt.Errorf("open: %w", err)
	}
	defer func() {
		if cerr := sys.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	if ca, ok := sys.(ConcurrentAppender); ok && plain {
		out, err = ca.RunAppends(ctx, producers, r.CellDur)
	} else {
		out, err = runTimed(ctx, sys, producers, r.CellDur, op)
	}
	if err != nil {
		return out, err
	}
	if out.Events == 0 {
		return out, errors.New("no event was appended")
	}
	n, err := sys.Count()
	if err != nil {
		return out, fmt.Errorf("count: %w", err)
	}
	if n != out.Events {
		return out, fmt.Errorf("store holds %d events, %d were acknowledged", n, out.Events)
	}
	return out, nil
}

// coldAndReads fills a store with r.ColdN events, closes it, measures the
// reopen, then reads one entity's stream and scans everything.
func (r *Runner) coldAndReads(ctx context.Context, sys System, col int, res *Results) {
	fail := func(err error) {
		for _, row := range []Row{RowColdStart, RowReadEntity, RowScan} {
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
	if err := sys.Open(dir, 1); err != nil {
		fail(fmt.Errorf("open: %w", err))
		return
	}
	t0 := time.Now()
	if err := sys.Fill(r.ColdN); err != nil {
		sys.Close()
		fail(fmt.Errorf("fill: %w", err))
		return
	}
	r.Log("  filled %s events in %s (%s)", count(r.ColdN), dur(time.Since(t0)), dirSize(dir))
	if err := sys.Close(); err != nil {
		fail(fmt.Errorf("close: %w", err))
		return
	}
	t0 = time.Now()
	if err := sys.Open(dir, 1); err != nil {
		fail(fmt.Errorf("reopen: %w", err))
		return
	}
	open := time.Since(t0)
	defer sys.Close()
	if _, ok := sys.(*diskSystem); ok {
		res.Set(RowColdStart, col, Cell{Err: notSupported("a plain file has nothing to recover")})
	} else {
		res.Set(RowColdStart, col, Cell{Dur: open, Events: r.ColdN})
		r.Log("  %-60s %s", res.Label(RowColdStart), dur(open))
	}
	// One entity's stream: the median of repeated reads (at most 1 s, 21 reads).
	want := r.ColdN / entities
	var reads []time.Duration
	for start := time.Now(); len(reads) < 21 && (len(reads) == 0 || time.Since(start) < time.Second); {
		t := time.Now()
		n, err := sys.ReadEntity(0)
		if err == nil && n != want {
			err = fmt.Errorf("read %d events, want %d", n, want)
		}
		if err != nil {
			res.Set(RowReadEntity, col, Cell{Err: err})
			break
		}
		reads = append(reads, time.Since(t))
	}
	if len(reads) > 0 && !res.Cells[RowReadEntity][col].Done {
		sort.Slice(reads, func(i, j int) bool { return reads[i] < reads[j] })
		d := reads[len(reads)/2]
		res.Set(RowReadEntity, col, Cell{Dur: d, Rate: float64(want) / d.Seconds(), Events: want})
		r.Log("  %-60s %s", res.Label(RowReadEntity), dur(d))
	}
	t := time.Now()
	n, err := sys.Scan()
	d := time.Since(t)
	if err == nil && n != r.ColdN {
		err = fmt.Errorf("scanned %d events, want %d", n, r.ColdN)
	}
	if err != nil {
		res.Set(RowScan, col, Cell{Err: err})
	} else {
		res.Set(RowScan, col, Cell{Dur: d, Rate: float64(n) / d.Seconds(), Events: n})
	}
	r.Log("  %-60s %s %v", res.Label(RowScan), dur(d), errText(err))
}

// dirSize is the size of the files under dir, formatted.
func dirSize(dir string) string {
	var total int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
		}
		return nil
	})
	return fmt.Sprintf("%.0f MB on disk", float64(total)/1e6)
}
