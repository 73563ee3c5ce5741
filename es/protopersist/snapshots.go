package protopersist

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// PersistSnapshot implements persistence.SnapshotStore: it saves snap as
// the actor's state after its first snapshotIndex events (versions
// 1..snapshotIndex), durably, with the hash of the event at that version.
// This is what the Mixin passes: called from the actor's handler of
// *persistence.RequestSnapshot, inside PersistReceive of the event at
// index i, snapshotIndex is i, and the actor has not applied that event
// yet (protoactor's rule: persist, then apply).
//
// A snapshot at index 0 (the state before any event, which the Mixin
// requests on the very first PersistReceive) is not stored: the actor's
// producer makes that state again. A failure (no snapshot store, no event
// at snapshotIndex in the log, an encoding or file-system error) is logged
// and the snapshot dropped: snapshots only shorten recovery, and the
// events still rebuild the state, so the actor goes on.
func (p *Provider) PersistSnapshot(actorName string, snapshotIndex int, snap proto.Message) {
	if p.snaps == nil || snapshotIndex <= 0 {
		return
	}
	if err := p.persistSnapshot(actorName, uint64(snapshotIndex), snap); err != nil {
		p.opts.Logger.Warn("protopersist: snapshot not saved", "actor", actorName, "index", snapshotIndex, "error", err)
	}
}

func (p *Provider) persistSnapshot(actorName string, version uint64, snap proto.Message) error {
	data, err := encode(snap)
	if err != nil {
		return err
	}
	c := p.Coordinate(actorName)
	ev, ok, err := p.eventAt(c, version)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("%w: the stream has no event at version %d", messages.ErrInvalidArgument, version)
	}
	return p.snaps.Save(snapshot.Snapshot{Coordinate: c, Type: p.opts.SnapshotType, Version: version,
		EventHash: ev.Hash, Data: data})
}

// GetSnapshot implements persistence.SnapshotStore: the actor's newest
// valid snapshot, decoded into a new value of its proto type, and its
// index (the number of events it reflects). A snapshot is used only if the
// log's event at its version has the hash recorded with it; one that is
// corrupt (skipped by the snapshot store), stale (its event is not in the
// log, or differs) or undecodable is ignored, logged, and recovery replays
// every event instead.
func (p *Provider) GetSnapshot(actorName string) (snap interface{}, eventIndex int, ok bool) {
	if p.snaps == nil {
		return nil, 0, false
	}
	m, v, err := p.getSnapshot(actorName)
	if err != nil {
		p.opts.Logger.Warn("protopersist: snapshot ignored, replaying every event", "actor", actorName, "error", err)
		return nil, 0, false
	}
	if m == nil {
		return nil, 0, false
	}
	return m, int(v), true
}

func (p *Provider) getSnapshot(actorName string) (proto.Message, uint64, error) {
	c := p.Coordinate(actorName)
	sn, ok, err := p.snaps.Latest(c, p.opts.SnapshotType)
	if err != nil || !ok {
		return nil, 0, err
	}
	ev, ok, err := p.eventAt(c, sn.Version)
	switch {
	case err != nil:
		return nil, 0, err
	case !ok:
		return nil, 0, fmt.Errorf("stale snapshot at version %d: the stream is shorter", sn.Version)
	case ev.Hash != sn.EventHash:
		return nil, 0, fmt.Errorf("stale snapshot at version %d: the event there has another hash", sn.Version)
	}
	m, err := p.decode(sn.Data)
	if err != nil {
		return nil, 0, err
	}
	return m, sn.Version, nil
}

// eventAt returns the event of c at version v, and false if there is none.
func (p *Provider) eventAt(c messages.Coordinate, v uint64) (messages.Event, bool, error) {
	for ev, err := range p.store.ReadStream(c, storage.StreamRange{From: v, Limit: 1}) {
		if err != nil {
			return messages.Event{}, false, err
		}
		return ev, ev.Version == v, nil
	}
	return messages.Event{}, false, nil
}

// DeleteSnapshots implements persistence.SnapshotStore: it removes the
// actor's snapshots whose index is at most inclusiveToIndex, durably
// (snapshots are derived data; the events stay). Recovery then uses a
// newer one if any, else replays every event. A failure is logged.
func (p *Provider) DeleteSnapshots(actorName string, inclusiveToIndex int) {
	if p.snaps == nil || inclusiveToIndex <= 0 {
		return
	}
	if err := p.snaps.Delete(p.Coordinate(actorName), p.opts.SnapshotType, uint64(inclusiveToIndex)); err != nil {
		p.opts.Logger.Warn("protopersist: snapshots not deleted", "actor", actorName, "index", inclusiveToIndex, "error", err)
	}
}
