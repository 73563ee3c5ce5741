// Command demo runs a batpak-go store inside a protoactor-go actor system:
// order-desk actors place orders, a reactor actor reacts to them (stock
// reservations, then mails: reactions of reactions, with correlation and
// causation), an auditor and a deliberately slow mailer subscribe (the
// mailer's queue overflows and it catches up from the log), the writer is
// made to crash once and is restarted by its supervisor, and the spans go
// to stdout (or over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set).
//
//	go run ./cmd/demo           # data in ./batpak-demo-data, started fresh
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	dir := flag.String("dir", "batpak-demo-data", "data directory")
	orders := flag.Int("orders", 30, "orders to place")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir, *orders); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, dir string, orders int) error {
	if err := clearStore(dir); err != nil {
		return err
	}
	tel, err := newTelemetry(ctx, w)
	if err != nil {
		return err
	}
	d, err := start(dir, tel, orders)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "store opened in %s; %d desks place %d orders; the writer will crash once\n", dir, desks, orders)
	if err := d.play(ctx, w); err != nil {
		d.stop(ctx)
		return err
	}
	if err := d.report(ctx, w); err != nil {
		d.stop(ctx)
		return err
	}
	if err := d.stop(ctx); err != nil {
		return err
	}
	return tel.shutdown(ctx)
}
