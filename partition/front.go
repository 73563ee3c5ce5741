package partition

import (
	"fmt"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/messages"
)

// frontName is the name of partition k's front actor on its owner.
func frontName(k int) string { return "batpak-partition-" + strconv.Itoa(k) }

// front is partition k's entry point on the member that owns it: the PID
// the identity lookup resolves (Identity(k), Kind) to. It forwards appends
// to the partition store's writer and reads to its reader (Forward keeps the
// sender, so the store answers the caller directly, with the store's own
// replies and typed errors), after checking that the request's entity
// belongs to k under this member's partition count: a client configured
// with other Owners is refused, never written to the wrong partition.
type front struct {
	k, n           int
	writer, reader *actor.PID
}

func frontProps(k, n int, writer, reader *actor.PID) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &front{k: k, n: n, writer: writer, reader: reader} })
}

// Receive implements actor.Actor.
func (f *front) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
	case *messages.Append:
		if m == nil { // the store answers it with its typed error
			ctx.Forward(f.writer)
			return
		}
		if e := f.misrouted(m.Coordinate.Entity); e != nil {
			respond(ctx, &messages.AppendReply{Failure: e})
			return
		}
		ctx.Forward(f.writer)
	case *messages.AppendBatch:
		for i := 0; m != nil && i < len(m.Items); i++ { // a nil batch: the store answers it
			if e := f.misrouted(m.Items[i].Coordinate.Entity); e != nil {
				respond(ctx, &messages.AppendBatchReply{Failure: e})
				return
			}
		}
		ctx.Forward(f.writer)
	case *messages.ReadStream:
		if m == nil {
			ctx.Forward(f.reader)
			return
		}
		if e := f.misrouted(m.Coordinate.Entity); e != nil {
			respond(ctx, &messages.ReadReply{Failure: e})
			return
		}
		ctx.Forward(f.reader)
	case *messages.ReadQuery, *messages.ReadCorrelation:
		ctx.Forward(f.reader)
	case *messages.Undecodable:
		respond(ctx, m.Reply())
	default:
		respond(ctx, &messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
			Message: fmt.Sprintf("batpak partition %d: unknown message %T", f.k, m)}})
	}
}

// misrouted returns the failure for an entity that is not this
// partition's, or nil.
func (f *front) misrouted(entity string) *messages.Error {
	if p := PartitionOf(entity, f.n); p != f.k {
		return &messages.Error{Code: messages.CodeInvalidArgument, Message: fmt.Sprintf(
			"batpak partition: entity %q is in partition %d of %d, not in %d (this request was routed with other Owners than this member's)",
			entity, p, f.n, f.k)}
	}
	return nil
}

// respond answers the sender, if there is one.
func respond(ctx actor.Context, msg any) {
	if ctx.Sender() != nil {
		ctx.Respond(msg)
	}
}

// nameTagProps are the props of the kind a member announces its name with
// (memberKind). The lookup never resolves that kind, so nothing spawns
// them; should anything, the actor refuses every request.
func nameTagProps() *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx actor.Context) {
			switch ctx.Message().(type) {
			case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
			default:
				respond(ctx, &messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
					Message: "batpak partition: a member's name tag takes no messages"}})
			}
		})
	})
}
