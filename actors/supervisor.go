package actors

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// writerName is the writer's name under its supervisor.
const writerName = "writer"

// supervisor is the parent of the writer and the fanout: its props carry
// the strategy (protoactor applies a parent's strategy to its children, and
// ignores one on a root actor's own props). It spawns both by name, so
// their PIDs are the same across restarts. The restart policy is the
// writer's alone: a fanout failure never spends it (see childStrategy).
type supervisor struct {
	sh      *shared
	writer  chan<- *actor.PID
	outside bool            // stopped from outside, not by Close (see stoppingFromOutside)
	reason  *messages.Error // why, when a child was stopped from outside (see childGone)
}

func supervisorProps(sh *shared, writer chan<- *actor.PID) *actor.Props {
	strategy := sh.cfg.Policy.Strategy(supervision.Hooks{
		TracerProvider: sh.cfg.TracerProvider,
		KeepStopped:    true,
		Links:          func(supervision.Failure) []trace.Link { return sh.takeCrashed() },
		OnRestart: func(f supervision.Failure) {
			// The restart counts once its span has ended (the next instance
			// adds the segment ids and ends it), so whoever reads Restarts
			// finds the span.
			f.Span = &endThen{Span: f.Span, then: func() {
				sh.mu.Lock()
				sh.restarts++
				sh.mu.Unlock()
			}}
			sh.mu.Lock()
			sh.restart = &f
			sh.mu.Unlock()
			sh.log.l.Error("batpak writer crashed; its supervisor restarts it", slog.String("panic", f.Reason),
				slog.String("policy", f.Policy.String()), slog.Int("restart", f.Restart))
		},
		StopAttributes: func(supervision.Failure) []attribute.KeyValue {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			return []attribute.KeyValue{attribute.Int64("batpak.segment.old", int64(sh.lastSeg))}
		},
		OnStop: func(f supervision.Failure) {
			// The strategy has ended the span: once endForGood makes the stop
			// observable, the span is there to see.
			reason := &messages.Error{Code: messages.CodeWriterStopped,
				Message: "batpak writer stopped: restart budget spent (" + f.Policy.String() + "); last panic: " + f.Reason}
			sh.log.l.Error("batpak writer crashed and stopped for good: its restart budget is spent; it answers ErrWriterStopped",
				slog.String("panic", f.Reason), slog.String("policy", f.Policy.String()))
			sh.endForGood(reason)
		},
	})
	return actor.PropsFromProducer(func() actor.Actor { return &supervisor{sh: sh, writer: writer} },
		actor.WithSupervisor(&childStrategy{sh: sh, writer: strategy}))
}

// endThen is a span that runs then once it has ended.
type endThen struct {
	trace.Span
	then func()
}

// End implements trace.Span.
func (s *endThen) End(opts ...trace.SpanEndOption) {
	s.Span.End(opts...)
	s.then()
}

// childStrategy sends the writer's failures to the restart policy, and
// restarts the fanout at once, however often it fails: a fanout failure
// never spends the writer's budget nor stops the writer. The fanout keeps
// its subscriptions across the restart (they live in shared) and tells
// every subscriber of a gap (see fanout).
type childStrategy struct {
	sh     *shared
	writer actor.SupervisorStrategy
}

// HandleFailure implements actor.SupervisorStrategy.
func (s *childStrategy) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	rs *actor.RestartStatistics, reason, message any) {
	if s.sh.fanout == nil || !child.Equal(s.sh.fanout) {
		s.writer.HandleFailure(sys, sup, child, rs, reason, message)
		return
	}
	_, span := s.sh.tel.tracer.Start(context.Background(), SpanFanoutRestart, trace.WithAttributes(
		attribute.String("batpak.panic", fmt.Sprint(reason)),
		attribute.String("batpak.child", child.Id)))
	span.End()
	s.sh.log.l.Warn("batpak fanout crashed and is restarted; subscribers are told of a gap", slog.Any("panic", reason))
	sup.RestartChildren(child)
}

// Receive implements actor.Actor.
func (s *supervisor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		fan, err := ctx.SpawnNamed(actor.PropsFromProducer(newFanout(s.sh)), fanoutName)
		if err != nil {
			s.sh.reportOpen(err)
			return
		}
		s.sh.fanout = fan
		pid, err := ctx.SpawnNamed(writerProps(s.sh), writerName)
		if err != nil {
			s.sh.reportOpen(err)
			return
		}
		s.writer <- pid
	case *actor.Stopping:
		s.stoppingFromOutside()
	case *actor.Stopped:
		s.stoppedFromOutside()
	case *actor.Terminated:
		s.childGone(ctx, m.Who)
	case *readerStopped:
		s.childGone(ctx, m.who)
	case *actor.Restarting:
	default:
		if ctx.Sender() != nil {
			ctx.Respond(&messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
				Message: "batpak supervisor: send requests to the writer"}})
		}
		_ = m
	}
}
