package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"go.opentelemetry.io/otel/attribute"
)

// writerName is the writer's name under its supervisor.
const writerName = "writer"

// supervisor is the writer's parent: its props carry the restart policy
// (protoactor applies a parent's strategy to its children, and ignores one
// on a root actor's own props). It spawns the writer by name, so the
// writer's PID is the same across restarts.
type supervisor struct {
	sh     *shared
	writer chan<- *actor.PID
}

func supervisorProps(sh *shared, writer chan<- *actor.PID) *actor.Props {
	strategy := sh.cfg.Policy.Strategy(supervision.Hooks{
		TracerProvider: sh.cfg.TracerProvider,
		KeepStopped:    true,
		OnRestart: func(f supervision.Failure) {
			sh.mu.Lock()
			sh.restart = &f // the next instance adds the segment ids and ends the span
			sh.restarts++
			sh.mu.Unlock()
		},
		OnStop: func(f supervision.Failure) {
			sh.mu.Lock()
			f.Span.SetAttributes(attribute.Int64("batpak.segment.old", int64(sh.lastSeg)))
			sh.mu.Unlock()
			reason := &messages.Error{Code: messages.CodeWriterStopped,
				Message: "batpak writer stopped: restart budget spent (" + f.Policy.String() + "); last panic: " + f.Reason}
			sh.endForGood(reason)
		},
	})
	return actor.PropsFromProducer(func() actor.Actor { return &supervisor{sh: sh, writer: writer} },
		actor.WithSupervisor(strategy))
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
	case *actor.Stopping, *actor.Stopped, *actor.Restarting, *actor.Terminated:
	default:
		if ctx.Sender() != nil {
			ctx.Respond(&messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
				Message: "batpak supervisor: send requests to the writer"}})
		}
		_ = m
	}
}
