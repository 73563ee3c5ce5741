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

// The demo's event kinds.
var (
	orderPlaced   = messages.MustKind(1, 1)
	stockReserved = messages.MustKind(2, 1)
	mailQueued    = messages.MustKind(3, 1)
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
// each with an expected version (a new stream) and an idempotency key.
type desk struct {
	d       *demo
	id, n   int
	i       int
	current *messages.Append
}

func (k *desk) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		k.next(ctx)
	case *messages.AppendReply:
		switch {
		case m.Err() == nil:
			k.d.acked.Add(1)
			k.i++
			k.next(ctx)
		case retryable(m.Err()):
			k.d.retries.Add(1)
			ctx.Request(k.d.store.Writer(), k.current)
		default:
			k.d.fail(fmt.Errorf("desk %d order %d: %w", k.id, k.i, m.Err()))
		}
	}
}

func (k *desk) next(ctx actor.Context) {
	if k.i == k.n {
		return
	}
	entity := fmt.Sprintf("order/%d-%02d", k.id, k.i)
	key := messages.KeyOf("demo order", entity)
	k.current = &messages.Append{
		Coordinate: messages.Coordinate{Entity: entity, Scope: "shop"}, Kind: orderPlaced,
		Payload: []byte(fmt.Sprintf(`{"desk":%d,"items":%d}`, k.id, 1+k.i%4)), Expected: messages.NoStream(),
		IdempotencyKey: key,
	}
	if k.id == 0 && k.i == 0 { // trace this one order end to end
		c, span := k.d.tel.tp.Tracer("demo").Start(context.Background(), tracedOrderSpan)
		tracedRaw.Store(span.SpanContext().TraceID())
		traced.Store(true)
		k.current.Trace = messages.TraceCarrier{}
		propagate(c, k.current.Trace)
		span.End()
	}
	ctx.Request(k.d.store.Writer(), k.current)
}

// reactor reacts to what is committed: an order reserves stock, a stock
// reservation queues a mail. Each reaction carries the saga's correlation
// id and its trigger as causation, and uses the trigger's id as its
// idempotency key, so a retry never reacts twice.
type reactor struct {
	d      *demo
	cursor *actors.Cursor
}

func (r *reactor) Receive(ctx actor.Context) {
	if _, err := r.cursor.Handle(ctx.Message(), func(ev messages.Event) error {
		r.react(ctx, ev)
		return nil
	}); err != nil {
		r.d.fail(err)
	}
}

func (r *reactor) react(ctx actor.Context, ev messages.Event) {
	a := &messages.Append{CorrelationID: ev.CorrelationID, CausationID: ev.ID, IdempotencyKey: ev.ID}
	switch ev.Kind {
	case orderPlaced:
		a.Coordinate = messages.Coordinate{Entity: "stock/sku-" + fmt.Sprint(ev.Sequence%5), Scope: "shop"}
		a.Kind, a.Payload = stockReserved, []byte(`{"for":"`+ev.Coordinate.Entity+`"}`)
	case stockReserved:
		a.Coordinate = messages.Coordinate{Entity: "mail/" + ev.CorrelationID.String()[:8], Scope: "shop"}
		a.Kind, a.Payload = mailQueued, []byte(`{"template":"confirmation"}`)
	default:
		return
	}
	r.send(ctx, a)
}

func (r *reactor) send(ctx actor.Context, a *messages.Append) {
	f := ctx.RequestFuture(r.d.store.Writer(), a, 10*time.Second)
	ctx.ReenterAfter(f, func(res any, err error) {
		if err != nil {
			r.d.fail(fmt.Errorf("reaction: %w", err))
			return
		}
		switch m := res.(*messages.AppendReply); {
		case m.Err() == nil:
		case retryable(m.Err()):
			r.d.retries.Add(1)
			r.send(ctx, a)
		default:
			r.d.fail(fmt.Errorf("reaction: %w", m.Err()))
		}
	})
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
