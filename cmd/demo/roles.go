package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel/trace"
)

const (
	desks           = 3
	tracedOrderSpan = "demo.place_order"
)

// The one order whose trace is printed.
var (
	traced    atomic.Bool
	tracedRaw atomic.Value // trace.TraceID
)

func tracedID() trace.TraceID { id, _ := tracedRaw.Load().(trace.TraceID); return id }

// retryable reports whether a failed append should be sent again: the
// writer crashed under it (its idempotency key makes the retry safe).
func retryable(err error) bool {
	return errors.Is(err, messages.ErrWriterCrashed) || errors.Is(err, messages.ErrOutcomeUnknown)
}

// desk is an application actor that places its orders one after another,
// each through the order commands (es/command: load, decide, append
// expecting the order's version, idempotent by command id). A command cut
// by the writer's crash is run again with the same id.
type desk struct {
	d     *demo
	id, n int
	i     int
}

// nextOrder tells a desk to place its next order.
type nextOrder struct{}

func (k *desk) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started, nextOrder:
		if k.i == k.n {
			return
		}
		if err := k.place(); err != nil {
			k.d.fail(err)
			return
		}
		k.i++
		ctx.Send(ctx.Self(), nextOrder{})
	}
}

// place runs the desk's next PlaceOrder command until it is answered.
func (k *desk) place() error {
	entity := fmt.Sprintf("order/%d-%02d", k.id, k.i)
	cmd := PlaceOrder{Desk: k.id, SKU: fmt.Sprintf("sku-%d", (k.id+k.i)%5), Qty: 1 + k.i%4}
	ctx := context.Background()
	if k.id == 0 && k.i == 0 { // trace this one order end to end
		c, span := k.d.tel.tp.Tracer("demo").Start(ctx, tracedOrderSpan)
		tracedRaw.Store(span.SpanContext().TraceID())
		traced.Store(true)
		defer span.End()
		ctx = c // the store's Append takes the trace from ctx (actors.Trace)
	}
	for attempt := 1; ; attempt++ {
		_, err := k.d.orders.Handle(ctx, shop(entity), "place "+entity, cmd)
		switch {
		case err == nil:
			return nil
		case retryable(err) && attempt < 10:
			k.d.retries.Add(1)
		default:
			return fmt.Errorf("desk %d, %s: %w", k.id, entity, err)
		}
	}
}

// watcher is a subscriber that counts what it is shown, exactly once; a
// delay makes it slow, so its bounded queue overflows and it catches up
// from the log.
type watcher struct {
	d        *demo
	cursor   *actors.Cursor
	delay    time.Duration
	want     int
	seen     int
	reported bool
	done     chan<- tally
}

// tally is what a watcher reports once it has seen all it should.
type tally struct{ gaps, caughtUp int }

func (w *watcher) Receive(ctx actor.Context) {
	if n, ok := ctx.Message().(*messages.Notification); ok && w.delay > 0 {
		time.Sleep(w.delay * time.Duration(len(n.Events))) // a slow consumer, on its own goroutine only
	}
	if _, err := w.cursor.Handle(ctx.Message(), func(messages.Event) error {
		w.seen++
		w.d.progress(w.seen)
		return nil
	}); err != nil {
		w.d.fail(err)
	}
	if w.seen >= w.want && !w.reported {
		w.reported = true
		w.done <- tally{gaps: w.cursor.Gaps, caughtUp: w.cursor.CaughtUp}
	}
}
