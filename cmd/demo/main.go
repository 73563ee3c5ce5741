// Command demo runs a batpak-go store inside a protoactor-go actor system,
// with typed events (es/typed): order-desk actors place orders through
// commands (es/command: decide, append expecting the order's version,
// idempotent by command id), two reactors react to them (es/reactor: stock
// reservations, then mails: reactions of reactions, with correlation and
// causation), a live projection (es/projection) keeps the totals the
// summary prints, with a durable checkpoint, an auditor and a deliberately
// slow mailer subscribe (the mailer's queue overflows and it catches up
// from the log), and a policy gate refuses orders over a limit. Halfway the
// writer is made to crash once with an order in its hands and is restarted
// by its supervisor (the crash and the restart are told in plain lines),
// and two desks race for one order (one meets a version conflict).
//
// With -cluster it tells another story instead: one batpak store split
// into six partitions (package partition) over three members of a
// protoactor cluster, all in this process (protoactor's in-memory test
// provider; each member its own actor system and loopback remote), with
// data in -dir/cluster. Each member places orders, routed to their
// entities' partitions, and reads others' back; a batch within one
// partition is atomic (written whole, or refused whole when one item
// conflicts), one across partitions is refused (ErrCrossPartitionBatch); a saga's events in three partitions are read
// back by correlation in their documented order; a member is stopped (its
// partitions answer ErrPartitionUnavailable at once, the others go on) and
// restarted on its directory (its data intact, hash chains verified,
// appends resume); a summary per partition ends it.
//
// The single-store story's traces and metrics are exported as the
// standard OTEL_* environment variables say (OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER,
// OTEL_METRIC_EXPORT_INTERVAL...); with none set, nothing leaves the
// process.
//
//	go run ./cmd/demo                                              # data in ./batpak-demo-data, started fresh
//	go run ./cmd/demo -spans                                       # also print the raw spans of the crash and of one order
//	go run ./cmd/demo -cluster                                     # three members of a partitioned store, in ./batpak-demo-data/cluster
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 go run ./cmd/demo  # traces and metrics over OTLP
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// options are the demo's flags.
type options struct {
	// dir is the data directory (cleared first if it holds a store).
	dir string
	// orders is how many orders are written (at least 3: the desks
	// place all but two, the late and the raced orders are the others).
	orders int
	// spans prints the raw spans of the crash and of one traced order.
	spans bool
	// cluster runs the partitioned-store story instead (runCluster).
	cluster bool
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "batpak-demo-data", "data directory (cleared first if it holds a batpak store, the demo's checkpoints and -cluster's data; anything else is refused; each story clears only its own)")
	flag.IntVar(&o.orders, "orders", 30, "orders to place (at least 3)")
	flag.BoolVar(&o.spans, "spans", false, "also print the raw spans (JSON) of the crash and of one traced order")
	flag.BoolVar(&o.cluster, "cluster", false, "run three members of a partitioned store in this process instead (data in -dir/cluster; -orders and -spans are ignored)")
	flag.Parse()
	story := run
	if o.cluster {
		story = func(ctx context.Context, out io.Writer, o options) error { return runCluster(ctx, out, o.dir) }
	}
	if err := story(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, o options) (err error) {
	if o.orders < 3 {
		return fmt.Errorf("-orders must be at least 3, not %d", o.orders)
	}
	if err := clearStore(o.dir); err != nil {
		return err
	}
	w := &lockedWriter{w: out} // spans end, and are told, on the store's goroutines
	tel, err := newTelemetry(ctx, w, o.spans)
	if err != nil {
		return err
	}
	defer func() {
		// The last spans and the metrics' final collection are exported
		// before the demo ends; a collector that does not answer gets 10 s.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(err, tel.shutdown(flushCtx))
	}()
	d, err := start(o.dir, tel, o.orders)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "store opened in %s; %d desks place %d orders through commands; halfway one more is in the writer's hands when it crashes, and two desks race for another\n",
		o.dir, desks, o.orders-2)
	fmt.Fprintf(w, "typed events: %s\n", describe(d.reg))
	fmt.Fprintln(w, tel.exporting)
	if err := d.play(ctx, w); err != nil {
		return errors.Join(err, d.stop(ctx))
	}
	if err := d.report(ctx, w); err != nil {
		return errors.Join(err, d.stop(ctx))
	}
	return d.stop(ctx)
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write implements io.Writer.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
