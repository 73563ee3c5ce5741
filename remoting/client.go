package remoting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/internal/futures"
	"github.com/batpak-go/batpak/messages"
)

// DefaultTimeout bounds a Client request whose context has no deadline.
const DefaultTimeout = 30 * time.Second

// Client sends a store's requests from Go code that is not an actor, on
// a node other than the store's: the same messages an actor would send
// to WriterPID and ReaderPID, each through a future. It is safe for
// concurrent use. Errors are those of the store's actors.Store methods
// (the reply's typed error, usable with errors.Is and errors.As), except
// that:
//   - a full writer queue is not waited out: the request fails with
//     messages.ErrOverloaded (back off and retry);
//   - a request that does not reach the store gets ErrUnreachable
//     (nothing was done);
//   - no reply in time gives an error matching
//     context.DeadlineExceeded: the outcome of an append is then unknown
//     (retry it with an idempotency key).
type Client struct {
	sys            *actor.ActorSystem
	writer, reader *actor.PID
}

// NewClient returns a Client of the store called store (see WriterPID)
// in the actor system at address, sending from sys, whose remote must be
// started (see Start).
func NewClient(sys *actor.ActorSystem, address, store string) *Client {
	return &Client{sys: sys, writer: WriterPID(address, store), reader: ReaderPID(address, store)}
}

// Writer returns the PID the Client sends appends to.
func (c *Client) Writer() *actor.PID { return c.writer }

// Reader returns the PID the Client sends reads to.
func (c *Client) Reader() *actor.PID { return c.reader }

// Append appends one event and returns its receipt once the store
// committed it. The span in ctx, if any, becomes the parent of the
// writer's spans (when a.Trace is empty), as with actors.Store.Append.
func (c *Client) Append(ctx context.Context, a *messages.Append) (messages.Receipt, error) {
	if err := c.usable(a == nil); err != nil {
		return messages.Receipt{}, err
	}
	if t := actors.Trace(ctx); t != nil && len(a.Trace) == 0 {
		cp := *a // the caller's message is not ours to change
		cp.Trace = t
		a = &cp
	}
	r, err := ask[*messages.AppendReply](ctx, c, c.writer, a)
	if err != nil {
		return messages.Receipt{}, err
	}
	return r.Receipt, nil
}

// AppendBatch appends the items atomically and returns their receipts
// once the store committed the batch. ctx's span is handled as by Append.
func (c *Client) AppendBatch(ctx context.Context, b *messages.AppendBatch) ([]messages.Receipt, error) {
	if err := c.usable(b == nil); err != nil {
		return nil, err
	}
	if t := actors.Trace(ctx); t != nil && len(b.Trace) == 0 {
		cp := *b
		cp.Trace = t
		b = &cp
	}
	r, err := ask[*messages.AppendBatchReply](ctx, c, c.writer, b)
	if err != nil {
		return nil, err
	}
	return r.Receipts, nil
}

// ReadStream reads one page of an entity's events. Read on with the
// reply's Next until its End (see messages.ReadReply).
func (c *Client) ReadStream(ctx context.Context, r *messages.ReadStream) (*messages.ReadReply, error) {
	if err := c.usable(r == nil); err != nil {
		return nil, err
	}
	return ask[*messages.ReadReply](ctx, c, c.reader, r)
}

// ReadQuery reads one page of the events that match a filter (see
// ReadStream).
func (c *Client) ReadQuery(ctx context.Context, q *messages.ReadQuery) (*messages.ReadReply, error) {
	if err := c.usable(q == nil); err != nil {
		return nil, err
	}
	return ask[*messages.ReadReply](ctx, c, c.reader, q)
}

// reply is a reply type of the store's actors.
type reply interface {
	*messages.AppendReply | *messages.AppendBatchReply | *messages.ReadReply
	Err() error
}

// ask sends msg to pid and returns its reply of type R, or the error it
// carries, or why none came.
func ask[R reply](ctx context.Context, c *Client, pid *actor.PID, msg any) (R, error) {
	var zero R
	res, err := c.request(ctx, pid, msg)
	if err != nil {
		return zero, err
	}
	switch r := res.(type) {
	case R:
		if err := r.Err(); err != nil {
			return zero, err
		}
		return r, nil
	case *messages.ErrorReply:
		if err := r.Err(); err != nil {
			return zero, err
		}
	}
	return zero, fmt.Errorf("remoting: unexpected reply %T from %s: %w", res, pid, messages.ErrInvalidArgument)
}

// request sends msg to pid and waits for the reply, for ctx's deadline
// (DefaultTimeout without one) or ctx's end, whichever comes first.
func (c *Client) request(ctx context.Context, pid *actor.PID, msg any) (any, error) {
	timeout, err := futures.Timeout(ctx, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	res, err := futures.Await(ctx, c.sys.Root.RequestFuture(pid, msg, timeout))
	if err != nil && err == ctx.Err() { // ctx ended first
		return nil, err
	}
	switch {
	case errors.Is(err, actor.ErrTimeout):
		return nil, fmt.Errorf("remoting: no reply from %s within %v (an append's outcome is unknown; retry with an idempotency key): %w",
			pid, timeout, context.DeadlineExceeded)
	case errors.Is(err, actor.ErrDeadLetter):
		return nil, fmt.Errorf("%w: %s (no such actor there, or its node is unreachable): %w", ErrUnreachable, pid, err)
	case err != nil:
		return nil, fmt.Errorf("remoting: request to %s: %w", pid, err)
	}
	return res, nil
}

// usable refuses a nil Client, one without an actor system, and a nil
// request (nilReq).
func (c *Client) usable(nilReq bool) error {
	switch {
	case c == nil || c.sys == nil:
		return &messages.Error{Code: messages.CodeInvalidArgument, Message: "remoting: a Client needs an actor system (NewClient with a nil one, or a nil *Client)"}
	case nilReq:
		return nilRequest()
	}
	return nil
}

func nilRequest() error {
	return &messages.Error{Code: messages.CodeInvalidArgument, Message: "remoting: nil request"}
}
