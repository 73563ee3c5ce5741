package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// noisy machine), then each system's cold starts (clean and after a
// kill -9), reads and bytes per event (cold.go).
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
