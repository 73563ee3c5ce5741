package remoting_test

// The commands a child node runs (see child_test.go).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
)

// do runs one command.
func (n *childNode) do(c command) result {
	timeout := time.Duration(c.TimeoutMS) * time.Millisecond
	switch c.Op {
	case "ask":
		msg, err := c.message()
		if err != nil {
			return result{Err: err.Error()}
		}
		res, err := n.sys.Root.RequestFuture(actor.NewPID(c.Addr, c.ID), msg, timeout).Result()
		if err != nil {
			return result{Err: err.Error(), Timeout: errors.Is(err, actor.ErrTimeout), DeadLetter: errors.Is(err, actor.ErrDeadLetter)}
		}
		return wireResult(res, nil)
	case "client":
		return n.client(c, timeout)
	case "count":
		if n.store == nil {
			return result{Err: "no store"}
		}
		st, err := n.store.Stats()
		if err != nil {
			return result{Err: err.Error()}
		}
		return result{Count: st.Events}
	case "terminated":
		deadline := time.After(timeout)
		for {
			n.mu.Lock()
			seen, ch := n.terminated[c.Addr], n.changed
			n.mu.Unlock()
			if seen {
				return result{}
			}
			select {
			case <-ch:
			case <-deadline:
				return result{Timeout: true}
			}
		}
	}
	return result{Err: "unknown op " + c.Op}
}

// message is the message c sends.
func (c command) message() (any, error) {
	if c.Proto != "" {
		return wrapperspb.String(c.Proto), nil
	}
	w := &messages.Wire{Type: c.Type, Body: c.Body}
	if c.Raw {
		return w, nil
	}
	m, err := w.Deserialize()
	if u, ok := m.(*messages.Undecodable); ok {
		return nil, fmt.Errorf("cannot decode %s: %v", c.Type, u.Failure)
	}
	return m, err
}

// client runs a remoting.Client call.
func (n *childNode) client(c command, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if c.Trace != nil {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier(c.Trace))
	}
	msg, err := c.message()
	if err != nil {
		return result{Err: err.Error()}
	}
	cl := remoting.NewClient(n.sys, c.Addr, c.Store)
	var reply remote.RootSerializable
	switch c.Method {
	case "append":
		var r messages.Receipt
		r, err = cl.Append(ctx, msg.(*messages.Append))
		reply = &messages.AppendReply{Receipt: r}
	case "batch":
		var rs []messages.Receipt
		rs, err = cl.AppendBatch(ctx, msg.(*messages.AppendBatch))
		reply = &messages.AppendBatchReply{Receipts: rs}
	case "stream":
		var rr *messages.ReadReply
		rr, err = cl.ReadStream(ctx, msg.(*messages.ReadStream))
		reply = rr
	case "query":
		var rr *messages.ReadReply
		rr, err = cl.ReadQuery(ctx, msg.(*messages.ReadQuery))
		reply = rr
	default:
		return result{Err: "unknown method " + c.Method}
	}
	if err != nil {
		reply = &messages.ErrorReply{Failure: messages.ToError(err)}
	}
	return wireResult(reply, err)
}

// wireResult encodes a reply (and the error of a client call) as a result.
func wireResult(reply any, err error) result {
	s, ok := reply.(remote.RootSerializable)
	if !ok {
		return result{Err: fmt.Sprintf("reply %T is not a batpak message", reply)}
	}
	w, serr := s.Serialize()
	if serr != nil {
		return result{Err: serr.Error()}
	}
	res := result{Type: w.(*messages.Wire).Type, Body: w.(*messages.Wire).Body}
	if err != nil {
		res.Err = err.Error()
		res.Unreachable = errors.Is(err, remoting.ErrUnreachable)
		res.Deadline = errors.Is(err, context.DeadlineExceeded)
	}
	return res
}
