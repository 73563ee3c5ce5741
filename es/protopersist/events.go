package protopersist

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// PersistEvent implements persistence.EventStore: it appends event to the
// actor's stream as version eventIndex+1, on the condition that the stream
// is at version eventIndex (messages.Exactly), and returns once the event
// is durable. So an actor's events are exactly its stream, in order, with
// no gap and no duplicate, even if two incarnations of one actor race.
//
// It never returns without the event stored: when the append fails (a
// version conflict, a writer crash, a closed or overloaded store, an
// event that cannot be encoded), it panics with a *PersistError. The
// panic happens inside the actor's Receive, in PersistReceive, before the
// actor applies the event: protoactor's supervision restarts the actor,
// whose new instance recovers from the store. The actor's state therefore
// never runs ahead of the log; the message being handled is dropped (its
// sender gets no reply), and the event may or may not be stored (a timeout
// whose append completed later): the recovered state says which.
func (p *Provider) PersistEvent(actorName string, eventIndex int, event proto.Message) {
	if err := p.persistEvent(actorName, eventIndex, event); err != nil {
		panic(&PersistError{Op: "PersistEvent", Actor: actorName, Index: eventIndex, Err: err})
	}
}

func (p *Provider) persistEvent(actorName string, eventIndex int, event proto.Message) error {
	if eventIndex < 0 {
		return fmt.Errorf("%w: event index %d", messages.ErrInvalidArgument, eventIndex)
	}
	payload, err := encode(event)
	if err != nil {
		return err
	}
	ctx, cancel := p.ctx()
	defer cancel()
	_, err = p.store.Append(ctx, &messages.Append{
		Coordinate: p.Coordinate(actorName),
		Kind:       p.opts.Kind,
		Payload:    payload,
		Expected:   messages.Exactly(uint64(eventIndex)),
	})
	return err
}

// GetEvents implements persistence.EventStore: it calls callback with the
// actor's events of indexes eventIndexStart up to eventIndexEnd
// (exclusive; 0 means to the last one), each decoded into a new value of
// its proto type, in order. Index i is the stream's version i+1.
//
// A failure (a read error, a foreign event in the stream, an event whose
// proto type is unknown) panics with a *PersistError: the Mixin calls
// GetEvents while the actor recovers, and a partial replay would leave a
// wrong state. protoactor's supervision restarts the actor, which tries
// again, within the supervisor's restart budget.
func (p *Provider) GetEvents(actorName string, eventIndexStart int, eventIndexEnd int, callback func(e interface{})) {
	if err := p.getEvents(actorName, eventIndexStart, eventIndexEnd, callback); err != nil {
		panic(&PersistError{Op: "GetEvents", Actor: actorName, Index: eventIndexStart, Err: err})
	}
}

func (p *Provider) getEvents(actorName string, start, end int, callback func(e interface{})) error {
	if start < 0 || end < 0 {
		return fmt.Errorf("%w: event indexes %d..%d", messages.ErrInvalidArgument, start, end)
	}
	r := storage.StreamRange{From: uint64(start) + 1}
	if end != 0 {
		if end <= start {
			return nil
		}
		r.Limit = end - start
	}
	want := r.From
	for ev, err := range p.store.ReadStream(p.Coordinate(actorName), r) {
		if err != nil {
			return err
		}
		if ev.Kind != p.opts.Kind {
			return fmt.Errorf("%w: version %d has kind %v, want %v", ErrForeignEvent, ev.Version, ev.Kind, p.opts.Kind)
		}
		if ev.Version != want {
			return fmt.Errorf("%w: read version %d, want %d", messages.ErrCorrupt, ev.Version, want)
		}
		m, err := p.decode(ev.Payload)
		if err != nil {
			return fmt.Errorf("version %d: %w", ev.Version, err)
		}
		callback(m)
		want++
	}
	return nil
}

// DeleteEvents implements persistence.EventStore. It deletes nothing and
// changes nothing: the log is append-only (events are the history that
// other readers, projections and Verify rely on), and GetEvents keeps
// returning every event. This is what protoactor's own in-memory provider
// does. Skipping the events up to an index instead would be unsafe: when
// the snapshot that covers them is missing, corrupt or stale, recovery
// replays from index 0 and would silently build a wrong state. To reclaim
// the cost of a long replay, rely on snapshots (DeleteSnapshots leaves
// newer ones).
func (p *Provider) DeleteEvents(actorName string, inclusiveToIndex int) {}
