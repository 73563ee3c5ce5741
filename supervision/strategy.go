package supervision

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span names.
const (
	SpanRestart = "batpak.writer.restart" // a failure the policy answers with a restart
	SpanStopped = "batpak.writer.stopped" // the failure that spent the budget: the child is stopped
)

// Hooks let the actor layer take part in a failure. Every field is optional.
type Hooks struct {
	// TracerProvider makes the restart spans. Default: otel's global one.
	TracerProvider trace.TracerProvider
	// Links runs before a failure's span starts: the span links to the
	// span contexts it returns (the requests the failure cut short, say).
	Links func(Failure) []trace.Link
	// OnRestart runs on the supervisor's goroutine before the child is
	// restarted. The event's Span is open: the hook may add attributes
	// (the old and new segment ids) and must end it, now or later, and
	// before anything the restart changes becomes observable (so that
	// whoever sees the effect also finds the span). Without a hook the
	// strategy ends the span itself.
	OnRestart func(Failure)
	// StopAttributes runs when the budget is spent, while the SpanStopped
	// span is still open: the attributes it returns are added to the span.
	// It must have no effect anyone can observe (OnStop is the place for
	// that).
	StopAttributes func(Failure) []attribute.KeyValue
	// OnStop runs when the budget is spent, before the child is stopped and
	// after the SpanStopped span (with error status) has ended: whoever
	// observes what the hook does (the writer answering WriterStopped) also
	// finds the span ended and handed to the span processors.
	OnStop func(Failure)
	// KeepStopped, when the budget is spent, restarts the child one last time
	// instead of stopping it, so that its PID stays alive and every queued
	// and later message gets an answer. OnStop must then make the next
	// instance refuse all work (the writer answers WriterStopped). Without
	// it, protoactor drops the queued messages of a stopped child.
	KeepStopped bool
	// Now is the clock of the restart window. Default time.Now.
	Now func() time.Time
}

// Failure describes one failure of the supervised child.
type Failure struct {
	// Policy is the policy that judged the failure.
	Policy RestartPolicy
	// Restart numbers the restarts of the child's life (1 for the first);
	// on a stop it is the number of restarts that were allowed before.
	Restart int
	// InWindow counts the failures in the policy's window, this one included.
	InWindow int
	// Reason is the panic value, formatted.
	Reason string
	// Child is the child that failed.
	Child *actor.PID
	// Message is the message the child failed on (a *actor.MessageEnvelope
	// when it carried headers or a sender).
	Message any
	// Span is the failure's span (SpanRestart or SpanStopped): open in
	// OnRestart and StopAttributes, already ended in OnStop.
	Span trace.Span
	// Context carries Span.
	Context context.Context
}

// Strategy returns the protoactor SupervisorStrategy that enforces the
// policy on its children: restart while the policy allows, stop after.
// Each failure is one span: SpanRestart, or SpanStopped with error status.
func (p RestartPolicy) Strategy(h Hooks) actor.SupervisorStrategy {
	if h.TracerProvider == nil {
		h.TracerProvider = otel.GetTracerProvider()
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	return &strategy{policy: p.norm(), hooks: h, tracer: h.TracerProvider.Tracer("github.com/batpak-go/batpak/supervision")}
}

type strategy struct {
	policy   RestartPolicy
	hooks    Hooks
	tracer   trace.Tracer
	mu       sync.Mutex
	failures map[string][]time.Time // by child id
	restarts map[string]int
}

// HandleFailure implements actor.SupervisorStrategy.
func (s *strategy) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	_ *actor.RestartStatistics, reason, message any) {
	now := s.hooks.Now()
	s.mu.Lock()
	if s.failures == nil {
		s.failures, s.restarts = map[string][]time.Time{}, map[string]int{}
	}
	ok, n := s.policy.allows(s.failures[child.Id], now)
	s.failures[child.Id] = s.prune(append(s.failures[child.Id], now), now)
	if ok {
		s.restarts[child.Id]++
	}
	f := Failure{Policy: s.policy, Restart: s.restarts[child.Id], InWindow: n,
		Reason: fmt.Sprint(reason), Child: child, Message: message}
	s.mu.Unlock()

	name := SpanRestart
	if !ok {
		name = SpanStopped
	}
	var links []trace.Link
	if s.hooks.Links != nil {
		links = s.hooks.Links(f)
	}
	f.Context, f.Span = s.tracer.Start(context.Background(), name, trace.WithLinks(links...), trace.WithAttributes(
		attribute.String("batpak.policy", s.policy.String()),
		attribute.Int("batpak.restart", f.Restart),
		attribute.Int("batpak.failures_in_window", n),
		attribute.String("batpak.panic", f.Reason),
		attribute.String("batpak.child", child.Id),
	))
	// The failure is an error on either span: its status says so, and the
	// panic is recorded as an exception event.
	f.Span.RecordError(panicError{f.Reason})
	if ok {
		f.Span.SetStatus(codes.Error, "the child panicked and is restarted: "+f.Reason)
		if s.hooks.OnRestart != nil {
			s.hooks.OnRestart(f)
		} else {
			f.Span.End()
		}
		sup.RestartChildren(child)
		return
	}
	f.Span.SetStatus(codes.Error, "restart budget spent: "+s.policy.String())
	if s.hooks.StopAttributes != nil {
		f.Span.SetAttributes(s.hooks.StopAttributes(f)...)
	}
	// The span ends before the hook runs: the hook makes the stop
	// observable, and whoever observes it must find the span.
	f.Span.End()
	if s.hooks.OnStop != nil {
		s.hooks.OnStop(f)
	}
	if s.hooks.KeepStopped {
		sup.RestartChildren(child)
		return
	}
	sup.StopChildren(child)
}

// panicError is a recovered panic as an error, for the exception event.
type panicError struct{ reason string }

func (e panicError) Error() string { return "panic: " + e.reason }

// prune drops failures too old to count again, so the list stays short.
func (s *strategy) prune(ts []time.Time, now time.Time) []time.Time {
	if s.policy.within <= 0 {
		return ts
	}
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= s.policy.within {
		i++
	}
	return ts[i:]
}
