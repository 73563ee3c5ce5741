package main

import (
	"errors"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// idMapper gives imported events their ids. The public append API cannot
// set an event's id: an event gets a fresh id, or IDFromKey(key) when it
// carries an idempotency key. Import makes each event's original id its
// idempotency key, so its new id is messages.IDFromKey(original id): the
// same on every import, which makes a second import of the same lines a
// replay that writes nothing.
//
// A causation id always names an event, so it is mapped the same way. A
// correlation id is mapped when it names an imported event (the event
// itself, an earlier line, or an event the target store already holds
// under the mapped id): a saga keeps its root. Any other correlation id (a
// saga id that is not an event's) is kept as it is.
type idMapper struct {
	e      *storage.Engine
	staged map[messages.ID]bool // original ids staged since the last commit
	known  map[messages.ID]bool // answers of the target store, cached
}

// knownCacheSize bounds the cache of the target store's answers.
const knownCacheSize = 1 << 16

func newIDMapper(e *storage.Engine) *idMapper {
	return &idMapper{e: e, staged: map[messages.ID]bool{}, known: map[messages.ID]bool{}}
}

// eventID is the new id of the event whose original id is id.
func eventID(id messages.ID) messages.ID { return messages.IDFromKey(id) }

// stage records that the event with original id id is staged.
func (m *idMapper) stage(id messages.ID) { m.staged[id] = true }

// cause returns the new causation id of ev.
func (m *idMapper) cause(ev *importEvent) messages.ID {
	if ev.cause.IsZero() {
		return messages.ID{}
	}
	return eventID(ev.cause)
}

// corr returns the correlation id to append ev with: zero for its own id.
func (m *idMapper) corr(ev *importEvent) (messages.ID, error) {
	if ev.corr == ev.id {
		return messages.ID{}, nil
	}
	ok, err := m.isEvent(ev.corr)
	if err != nil || !ok {
		return ev.corr, err
	}
	return eventID(ev.corr), nil
}

// isEvent reports whether the original id id names an imported event.
func (m *idMapper) isEvent(id messages.ID) (bool, error) {
	if m.staged[id] {
		return true, nil
	}
	if ok, cached := m.known[id]; cached {
		return ok, nil
	}
	_, err := m.e.Get(eventID(id))
	if err != nil && !errors.Is(err, messages.ErrNotFound) {
		return false, err
	}
	if len(m.known) >= knownCacheSize {
		m.known = map[messages.ID]bool{}
	}
	m.known[id] = err == nil
	return err == nil, nil
}

// committed records that the staged events are in the store (committed,
// or replays of events it held). The maps are made anew rather than
// cleared: a cleared map keeps its size, and ranging over it costs that.
func (m *idMapper) committed() {
	if len(m.known)+len(m.staged) > knownCacheSize {
		m.known = make(map[messages.ID]bool, len(m.staged))
	}
	for id := range m.staged {
		m.known[id] = true
	}
	m.staged = map[messages.ID]bool{}
}
