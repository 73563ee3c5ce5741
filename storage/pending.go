package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

// Pending is a group of events written to the segment files but neither
// fsynced nor visible yet. Its Sync may run on another goroutine while the
// writer stages and writes the next group: that is pipelined group commit,
// which keeps the disk busy while the CPU prepares the next group.
type Pending struct {
	gen uint64
	n   int
	groupSlices
	f    fs.File
	seg  uint64
	sync bool // whether this group's mode calls for an fsync
	end  Position
	done bool
	err  error
}

// Events returns the number of events in the group.
func (p *Pending) Events() int { return p.n }

// Sync makes the group durable (per the SyncMode). It is the one engine
// call that may run on a goroutine other than the writer's, concurrently
// with Append, AppendBatch and Write; the caller must let it return before
// it calls Publish for this group (a channel does).
func (p *Pending) Sync() error {
	if p.sync && !p.done {
		if err := p.f.Sync(); err != nil {
			p.err = ioError(fmt.Sprintf("fsync segment %d", p.seg), err, true)
		}
	}
	p.done = true
	return p.err
}

// Write writes everything staged to the segment files (rotating where
// staging placed a rotation) and returns it as a Pending group; it returns
// nil when nothing is staged. Appends staged afterwards chain to the
// written group. Groups must be published in the order they were written.
func (e *Engine) Write() (*Pending, error) { return e.write(false) }

// WriteRetaining is Write for a caller that will take the group's events
// with PublishEvents: their payloads are then copies of the bytes written
// (one copy of the group's frames), never the slices the appends were
// given, which their callers may reuse once answered.
func (e *Engine) WriteRetaining() (*Pending, error) { return e.write(true) }

func (e *Engine) write(retain bool) (*Pending, error) {
	if err := e.writable(); err != nil {
		return nil, err
	}
	if e.stage.empty() {
		return nil, nil
	}
	if err := e.writeStaged(); err != nil {
		e.failed = err
		return nil, err
	}
	st := &e.stage
	st.detachPayloads(retain)
	p := &Pending{gen: st.gen, n: len(st.events), groupSlices: st.groupSlices, f: e.active.f, seg: e.active.id,
		sync: e.syncDue(), end: Position{Segment: e.active.id, Offset: e.active.size}}
	if p.sync {
		e.unsynced = 0
		e.lastSync = e.opts.Clock()
	}
	e.pending = append(e.pending, p)
	st.gen++
	st.reset(e.active.id, e.active.size, false)
	return p, nil
}

// Publish makes a written and synced group visible to readers, in one step.
// It must be called for the oldest unpublished group, after its Sync
// returned. If the Sync failed, nothing becomes visible and the engine
// refuses every later write (and every later Publish) until reopened.
func (e *Engine) Publish(p *Pending) error {
	if err := e.publish(p); err != nil {
		return err
	}
	e.stage.recycle(p.groupSlices)
	p.groupSlices = groupSlices{}
	return nil
}

// PublishEvents is Publish returning the group's events; the caller owns
// the returned slice. Their payloads are copies of the committed bytes if
// the group was written with WriteRetaining, else nil.
func (e *Engine) PublishEvents(p *Pending) ([]messages.Event, error) {
	if err := e.publish(p); err != nil {
		return nil, err
	}
	evs := p.events
	p.events = nil
	e.stage.recycle(p.groupSlices)
	p.groupSlices = groupSlices{}
	return evs, nil
}

func (e *Engine) publish(p *Pending) error {
	if err := e.writable(); err != nil {
		return err
	}
	if len(e.pending) == 0 || e.pending[0] != p {
		return fmt.Errorf("storage: Publish out of order: %w", messages.ErrInvalidArgument)
	}
	if !p.done {
		p.Sync()
	}
	if p.err != nil {
		e.failed = p.err
		return p.err
	}
	if p.sync && e.opts.SyncMode != SyncNone {
		e.fsyncs++
		if p.end.Segment == e.synced.Segment && p.end.Offset > e.synced.Offset {
			e.synced = p.end
		}
	}
	x := e.idx
	x.mu.Lock()
	for i := range p.events {
		ev := &p.events[i]
		x.causes.add(uint32(x.count()), ev.CausationID)
		x.add(ev, ev.Segment, ev.Offset, p.sizes[i])
	}
	x.mu.Unlock()
	for _, h := range p.heads {
		h.unpublished--
	}
	e.over.heads.sweep()
	e.over.forget(p.events, p.gen)
	e.published = p.end
	e.pending[0] = nil
	e.pending = e.pending[1:]
	e.commits++
	return nil
}
