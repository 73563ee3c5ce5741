package actors

import (
	"context"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// NewRemoteCursor returns a Cursor for a subscriber made with
// SubscribeRemote under filter, that catches up through reader, the
// store's reader on its node: Store.Reader at the store's node address,
// actor.NewPID(address, "batpak/reader") for a store spawned at the root
// with the default Config.Name. It behaves
// as NewCursor's does (every matching event exactly once, in order,
// across Gaps and the actor's own failures; the same redelivery rule),
// and reads the log with *messages.ReadQuery requests, one page at a time,
// each waiting at most DefaultRemoteTimeout for its *messages.ReadReply;
// sys is the actor system they are sent from.
//
// Unlike a local Cursor, which reads up to where the log ended when the
// catch-up began, a remote one reads until a page is the last (the reader
// gives no such bound): under appends that outrun the reads, a catch-up
// goes on with them. A read that fails (a timeout, the store closed)
// leaves the Cursor behind, and the next message retries it.
func NewRemoteCursor(sys *actor.ActorSystem, reader *actor.PID, filter storage.Filter) *Cursor {
	filter.FromSeq, filter.BeforeSeq, filter.Limit, filter.Backward = 0, 0, 0, false
	return &Cursor{log: remoteLog{sys: sys, reader: reader}, filter: filter}
}

// NewRemoteCursorFrom is NewRemoteCursor starting at global sequence from
// instead of where the subscription starts, as NewCursorFrom is
// NewCursor: the events from from up to the subscription's start are read
// from the log when the *messages.Subscribed arrives.
func NewRemoteCursorFrom(sys *actor.ActorSystem, reader *actor.PID, filter storage.Filter, from uint64) *Cursor {
	c := NewRemoteCursor(sys, reader, filter)
	c.start, c.fixed, c.next = from, true, from
	return c
}

// remoteLog reads a store's log through its reader actor, anywhere.
type remoteLog struct {
	sys    *actor.ActorSystem
	reader *actor.PID
}

func (remoteLog) horizon() (uint64, bool, error) { return 0, false, nil }

func (l remoteLog) page(f storage.Filter, from, before uint64, limit int) ([]messages.Event, bool, error) {
	if l.sys == nil || l.reader == nil {
		return nil, false, fmt.Errorf("batpak: a remote Cursor needs an actor system and the store's reader (NewRemoteCursor got nil): %w", messages.ErrInvalidArgument)
	}
	q := &messages.ReadQuery{EntityPrefix: f.EntityPrefix, Scope: f.Scope, Kinds: f.Kinds, FromSeq: from, BeforeSeq: before, Limit: limit}
	res, err := l.sys.Root.RequestFuture(l.reader, q, DefaultRemoteTimeout).Result()
	if errors.Is(err, actor.ErrTimeout) {
		return nil, false, fmt.Errorf("batpak: read from %s/%s: no answer within %v: %w", l.reader.Address, l.reader.Id, DefaultRemoteTimeout, context.DeadlineExceeded)
	}
	if err != nil {
		return nil, false, fmt.Errorf("batpak: read from %s/%s: %w", l.reader.Address, l.reader.Id, err)
	}
	r, ok := res.(*messages.ReadReply)
	if !ok {
		return nil, false, unexpected(res)
	}
	if err := r.Err(); err != nil {
		return nil, false, err
	}
	return r.Events, r.End, nil
}
