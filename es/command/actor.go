package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/messages"
)

// Request asks an entity actor (Props) to run a command. It is answered
// with a *Reply.
type Request[C any] struct {
	// ID is the command's id (non-empty): the same id is never applied
	// twice (see Handler.Run).
	ID string `msgpack:"id"`
	// Command is the command.
	Command C `msgpack:"command"`
}

// GetState asks an entity actor for the state it holds. It is answered
// with a *StateReply[S].
type GetState struct{}

// StateReply answers GetState.
type StateReply[S any] struct {
	// State is the actor's state (Value is shared with the actor: do not
	// modify it).
	State State[S] `msgpack:"state"`
	// Failure is why there is no state (the load failed); nil otherwise.
	Failure *messages.Error `msgpack:"err,omitempty"`
}

// Reply answers a Request: the command's Result, or why it failed.
type Reply struct {
	// Result is what the command did (Attempts is set on failure too).
	Result Result `msgpack:"result"`
	// Failure is the error as it travels (code, text, detail); nil on
	// success. Read it through Err.
	Failure *messages.Error `msgpack:"err,omitempty"`
	// err is the original error, for a receiver in the same process.
	err error
}

// Err returns the command's error, or a plain nil error on success. In the
// process that ran the command it is the original error (errors.Is
// matches ErrTooManyConflicts, ErrRejected, the Decide error...); after a
// trip over the wire it is the *messages.Error (codes only: a conflict
// still matches messages.ErrVersionConflict).
func (r *Reply) Err() error {
	if r == nil {
		return fmt.Errorf("%w: nil reply", ErrInvalid)
	}
	if r.err != nil {
		return r.err
	}
	if r.Failure == nil {
		return nil
	}
	return r.Failure
}

func failed(res Result, err error) *Reply {
	return &Reply{Result: res, Failure: messages.ToError(err), err: err}
}

// Props returns the props of an actor that owns the entity c: it loads
// the entity's state when it starts, keeps it in memory, and runs each
// *Request[C] in turn with h.Run on that state, answering the sender with
// a *Reply. A load that fails is tried again at the next message (whose
// answer carries the load's error while it fails). Other messages from a
// sender get a *messages.ErrorReply (messages.ErrUnknownMessage).
func Props[S, C any](h *Handler[S, C], c messages.Coordinate) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &entity[S, C]{h: h, c: c} })
}

// entity is the per-entity actor.
type entity[S, C any] struct {
	h      *Handler[S, C]
	c      messages.Coordinate
	st     State[S]
	loaded bool
}

func (e *entity[S, C]) load() error {
	if e.loaded {
		return nil
	}
	st, err := e.h.Load(context.Background(), e.c)
	if err != nil {
		return err
	}
	e.st, e.loaded = st, true
	return nil
}

// Receive implements actor.Actor.
func (e *entity[S, C]) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		_ = e.load() // a failure is answered with the next message
	case *Request[C]:
		if err := e.load(); err != nil {
			ctx.Respond(failed(Result{}, err))
			return
		}
		res, err := e.h.Run(context.Background(), &e.st, m.ID, m.Command)
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				e.loaded = false // reload before the next command: e.st may be behind or partly applied
			}
			ctx.Respond(failed(res, err))
			return
		}
		ctx.Respond(&Reply{Result: res})
	case *GetState:
		if err := e.load(); err != nil {
			ctx.Respond(&StateReply[S]{Failure: messages.ToError(err)})
			return
		}
		ctx.Respond(&StateReply[S]{State: e.st})
	default:
		if ctx.Sender() != nil {
			ctx.Respond(&messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeUnknownMessage,
				Message: fmt.Sprintf("command: entity actor does not handle %T", m)}})
		}
	}
}
