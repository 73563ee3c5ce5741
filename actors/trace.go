package actors

import (
	"context"

	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Trace returns the trace context of the span in ctx as a carrier for a
// request's Trace field, so that the writer's spans for the request become
// children of that span:
//
//	a.Trace = actors.Trace(spanCtx)
//	ctx.Request(store.Writer(), a)
//
// It injects with OpenTelemetry's global propagator when the application
// has set one (the store sets no globals), and with W3C trace context
// otherwise, which the writer always reads. Without a valid span in ctx it
// returns nil (an untraced request). Store.Append and Store.AppendBatch do
// this themselves.
func Trace(ctx context.Context) messages.TraceCarrier {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	c := messages.TraceCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, c)
	if len(c) == 0 { // the global propagator is the no-op default
		w3c.Inject(ctx, c)
	}
	return c
}

// w3c is the propagator the store falls back on: W3C trace context.
var w3c = propagation.TraceContext{}

// extract reads the trace context of a request's carrier: with the global
// propagator, then with W3C trace context if that found no span (the
// global one is the no-op default, or the sender used Trace without one).
func extract(carrier propagation.TextMapCarrier) context.Context {
	bg := context.Background()
	p := otel.GetTextMapPropagator().Extract(bg, carrier)
	if trace.SpanContextFromContext(p).IsValid() {
		return p
	}
	return w3c.Extract(bg, carrier)
}
