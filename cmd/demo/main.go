// Command demo opens a batpak-go store in a local directory, appends events
// (single appends with optimistic concurrency and idempotency keys, a
// reaction chain across entities, an atomic batch), reads them back, checks
// every hash chain, reopens the store and prints what it did.
//
// Until the actor runtime lands it drives the storage engine directly.
//
//	go run ./cmd/demo            # data in ./batpak-demo-data
//	go run ./cmd/demo -dir /tmp/x -fresh=false
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func main() {
	dir := flag.String("dir", "batpak-demo-data", "data directory")
	fresh := flag.Bool("fresh", true, "remove the data directory first")
	flag.Parse()
	if err := run(os.Stdout, *dir, *fresh); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

var (
	orderPlaced   = messages.MustKind(1, 1)
	stockReserved = messages.MustKind(2, 1)
	mailSent      = messages.MustKind(3, 1)
)

func run(w io.Writer, dir string, fresh bool) error {
	if fresh {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	start := time.Now()
	e, err := storage.Open(dir, storage.Options{SegmentSize: 64 << 10})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "opened %s in %v (%d events recovered)\n", dir, time.Since(start).Round(time.Microsecond), e.Stats().Events)

	root, last, err := appendSaga(w, e, e.Stats().Streams/3+1)
	if err != nil {
		e.Close()
		return err
	}
	if err := showReads(w, e, root, last); err != nil {
		e.Close()
		return err
	}
	if err := e.Close(); err != nil {
		return err
	}
	start = time.Now()
	e, err = storage.Open(dir, storage.Options{SegmentSize: 64 << 10})
	if err != nil {
		return err
	}
	defer e.Close()
	s := e.Stats()
	fmt.Fprintf(w, "reopened in %v: %d events, %d streams, %d segments (%d from footers, %d scanned)\n",
		time.Since(start).Round(time.Microsecond), s.Events, s.Streams, s.Recovery.Segments,
		s.Recovery.FooterSegments, s.Recovery.ScannedSegments)
	rep, err := e.Verify()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "hash chains verified: %d streams, %d events\n", rep.Streams, rep.Events)
	return nil
}

// appendSaga writes an order saga: a placed order, a reaction chain across
// entities, a retried append, a refused CAS, and an atomic batch. n numbers
// the saga, so that reruns on the same directory add a new one.
func appendSaga(w io.Writer, e *storage.Engine, n int) (root, last messages.Receipt, err error) {
	entity := func(kind string) messages.Coordinate {
		return messages.Coordinate{Entity: fmt.Sprintf("%s/%d", kind, n), Scope: "shop"}
	}
	order := entity("order")
	root, err = e.Append(&messages.Append{Coordinate: order, Kind: orderPlaced,
		Payload: []byte(`{"items":3}`), Expected: messages.NoStream()})
	if err != nil {
		return root, last, err
	}
	key := messages.NewID()
	reserve := &messages.Append{Coordinate: entity("stock"),
		Kind: stockReserved, Payload: []byte(`{"sku":7}`), CorrelationID: root.EventID,
		CausationID: root.EventID, IdempotencyKey: key}
	r1, err := e.Append(reserve)
	if err != nil {
		return root, last, err
	}
	if err := e.Commit(); err != nil {
		return root, last, err
	}
	retry, err := e.Append(reserve)
	if err != nil {
		return root, last, err
	}
	fmt.Fprintf(w, "appended order seq=%d, reaction seq=%d; retry with the same key replayed=%v seq=%d\n",
		root.Sequence, r1.Sequence, retry.Replayed, retry.Sequence)

	_, err = e.Append(&messages.Append{Coordinate: order, Kind: orderPlaced, Expected: messages.NoStream()})
	var conflict *storage.VersionConflictError
	if !errors.As(err, &conflict) {
		return root, last, fmt.Errorf("expected a version conflict, got %v", err)
	}
	fmt.Fprintf(w, "refused: %v\n", err)

	rs, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: entity("mail"), Kind: mailSent,
			Payload: []byte(`{"to":"ada"}`), CorrelationID: root.EventID, Causation: messages.CausedBy(r1.EventID)},
		{Coordinate: order, Kind: orderPlaced, Payload: []byte(`{"status":"confirmed"}`),
			CorrelationID: root.EventID, Causation: messages.CausedByItem(0)},
	}})
	if err != nil {
		return root, last, err
	}
	if err := e.Commit(); err != nil {
		return root, last, err
	}
	fmt.Fprintf(w, "atomic batch committed: seqs %d..%d (fsyncs so far: %d)\n",
		rs[0].Sequence, rs[len(rs)-1].Sequence, e.WriterStats().Fsyncs)
	return root, rs[1], nil
}

func showReads(w io.Writer, e *storage.Engine, root, last messages.Receipt) error {
	saga, err := e.ByCorrelation(root.EventID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "saga %s has %d events:\n", root.EventID, len(saga))
	for _, ev := range saga {
		fmt.Fprintf(w, "  seq=%d %-8s v%d kind=%v %s hash=%s…\n", ev.Sequence, ev.Coordinate.Entity,
			ev.Version, ev.Kind, ev.Payload, ev.Hash.String()[:12])
	}
	anc, err := e.Ancestors(last.EventID, 0)
	if err != nil {
		return err
	}
	fmt.Fprint(w, "causes of the confirmation, nearest first:")
	for _, ev := range anc {
		fmt.Fprintf(w, " %s(seq %d)", ev.Coordinate.Entity, ev.Sequence)
	}
	fmt.Fprintln(w)
	return nil
}
