package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/messages"
)

// crash makes the writer panic while it holds the late order's append:
// the writer is held, the command's append and then the panic queue
// behind the hold (in this order: one sender's messages stay in order),
// and the writer is let go. The command, answered ErrWriterCrashed, is run
// again with the same command id once the writer is back: written once.
// The narrator prints the crash and the restart as the store's spans tell
// them.
func (d *demo) crash(ctx context.Context, w io.Writer) error {
	entity := "order/late"
	crashed := false
	defer d.stage.play(entity, func(ctx context.Context, a *messages.Append) (messages.Receipt, error) {
		if crashed {
			return d.store.Append(ctx, a)
		}
		crashed = true
		release := actorstest.HoldWriter(d.store)
		f := d.sys.Root.RequestFuture(d.store.Writer(), a, 10*time.Second)
		actorstest.CrashWriter(d.store, "demo: injected writer panic")
		release()
		res, err := f.Result()
		if err != nil {
			return messages.Receipt{}, err
		}
		reply, ok := res.(*messages.AppendReply)
		if !ok {
			return messages.Receipt{}, fmt.Errorf("unexpected reply %T", res)
		}
		return reply.Receipt, reply.Err()
	})()
	fmt.Fprintf(w, "halfway: the writer is held, order/late's command sends its append, then a panic (actorstest.CrashWriter, what a test of yours can do too)\n")
	var answer string // what the first attempt got
	for attempt := 1; ; attempt++ {
		res, err := d.orders.Handle(ctx, shop(entity), "place "+entity, PlaceOrder{Desk: 0, SKU: "sku-1", Qty: 1})
		switch {
		case err == nil && answer == "":
			fmt.Fprintf(w, "%s: acknowledged before the crash (seq %d)\n", entity, res.Receipts[0].Sequence)
			return d.readOwnWrite(ctx, w, entity, res)
		case err == nil:
			how := "written once"
			if res.Replayed {
				how = "it was written before the crash: replayed, not written again"
			}
			fmt.Fprintf(w, "%s: first answered %s, then its command was run again with the same command id: %s (seq %d, attempt %d)\n",
				entity, answer, how, res.Receipts[0].Sequence, attempt)
			return d.readOwnWrite(ctx, w, entity, res)
		case retryable(err) && attempt < 10:
			if answer == "" {
				answer = errorName(err)
			}
			d.retries.Add(1)
		default:
			return fmt.Errorf("%s: %w", entity, err)
		}
	}
}

// readOwnWrite waits until the totals projection reflects a command's
// event: read your own write.
func (d *demo) readOwnWrite(ctx context.Context, w io.Writer, entity string, res command.Result) error {
	seq := res.Receipts[0].Sequence
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a busy machine; the default is 5 s
	defer cancel()
	t, next, err := d.totals.WaitFor(ctx, seq)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "totals (a live projection) read its own write: WaitFor(seq %d) answered at position %d, %s counted among %d orders\n",
		seq, next, entity, t.Orders())
	return nil
}

// race has two desks take the same order at the same moment: both
// commands decide on the order's version 0 and append expecting a new
// stream (the scene lets neither append go before both are decided, so
// the race is not left to chance). The writer takes one; the other meets a
// version conflict, loads the new event and decides again: the order is
// placed already, so it is rejected and nothing is written twice.
func (d *demo) race(ctx context.Context, w io.Writer) error {
	entity := "order/phone-1"
	both := make(chan struct{}) // closed when both commands have decided
	var arrived atomic.Int32
	defer d.stage.play(entity, func(ctx context.Context, a *messages.Append) (messages.Receipt, error) {
		if arrived.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
		case <-ctx.Done():
			return messages.Receipt{}, ctx.Err()
		}
		return d.store.Append(ctx, a)
	})()
	type outcome struct {
		desk int
		res  command.Result
		err  error
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out := make(chan outcome, 2)
	for _, desk := range []int{1, 2} {
		go func() {
			res, err := d.orders.Handle(ctx, shop(entity), fmt.Sprintf("desk %d: place %s", desk, entity), PlaceOrder{Desk: desk, SKU: "sku-2", Qty: 2})
			out <- outcome{desk, res, err}
		}()
	}
	var won, lost outcome
	for range 2 {
		o := <-out
		switch {
		case o.err == nil:
			won = o
		case errors.Is(o.err, errAlreadyPlaced) && o.res.Attempts == 2:
			lost = o
		default:
			return fmt.Errorf("%s, desk %d: %w (attempts %d)", entity, o.desk, o.err, o.res.Attempts)
		}
	}
	if won.desk == 0 || lost.desk == 0 {
		return fmt.Errorf("%s: expected one desk to win and one to be rejected", entity)
	}
	fmt.Fprintf(w, "%s: desks 1 and 2 take it at once, both decide on version 0; desk %d's append met a version conflict, its command loaded the new event, decided again and was rejected (%v, attempt 2); desk %d's was written (seq %d)\n",
		entity, lost.desk, lost.err, won.desk, won.res.Receipts[0].Sequence)
	return d.readOwnWrite(ctx, w, entity, won.res)
}

// refuse places an order over the order_limit gate's limit: the writer's
// gate denies it, nothing is written, and the command gets the typed
// denial.
func (d *demo) refuse(ctx context.Context, w io.Writer) error {
	entity := "order/2-bulk"
	_, err := d.orders.Handle(ctx, shop(entity), "place "+entity, PlaceOrder{Desk: 2, SKU: "sku-4", Qty: 40})
	var denied *messages.DenialError
	if !errors.Is(err, messages.ErrDenied) || !errors.As(err, &denied) {
		return fmt.Errorf("%s: want a denial, got %v", entity, err)
	}
	dn := denied.Denials[0]
	fmt.Fprintf(w, "desk 2 orders 40 units: denied by gate %s (%s): %s; nothing written (errors.Is(err, messages.ErrDenied))\n", dn.Gate, dn.Code, dn.Message)
	return nil
}

// errorName names a retryable error.
func errorName(err error) string {
	if errors.Is(err, messages.ErrOutcomeUnknown) {
		return "ErrOutcomeUnknown"
	}
	return "ErrWriterCrashed"
}
