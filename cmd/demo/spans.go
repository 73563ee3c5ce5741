package main

import (
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/supervision"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// shown passes on the spans worth dumping on a terminal with -spans: the
// restarts and one traced order (its spans and the commit that made it
// durable), not every span of the run.
type shown struct{ sdktrace.SpanProcessor }

// OnEnd implements sdktrace.SpanProcessor.
func (s *shown) OnEnd(sp sdktrace.ReadOnlySpan) {
	switch sp.Name() {
	case supervision.SpanRestart, supervision.SpanStopped, tracedOrderSpan:
		s.SpanProcessor.OnEnd(sp)
	case actors.SpanAppend:
		if sp.Parent().IsValid() && sp.Parent().TraceID() == tracedID() { // an append made inside the traced order
			s.SpanProcessor.OnEnd(sp)
		}
	case actors.SpanCommit:
		for _, l := range sp.Links() {
			if traced.Load() && l.SpanContext.TraceID() == tracedID() {
				s.SpanProcessor.OnEnd(sp)
				return
			}
		}
	}
}
