package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

// Commit makes everything staged since the last Commit durable (per the
// SyncMode) and then visible, in one write and one fsync per segment
// touched: it is Write, Pending.Sync and Publish in a row. The group's
// frames may span segments: the active segment is then sealed (footer,
// fsync) and the next one created (header, fsync, directory fsync) on the
// way.
//
// If any write or fsync fails, nothing of the group becomes visible, the
// error wraps messages.ErrIO or messages.ErrSyncFailed, and the engine
// refuses every later write until it is reopened: after a failed fsync the
// state of the file is unknown, and recovery is the only safe judge.
func (e *Engine) Commit() error {
	if err := e.writable(); err != nil {
		return err
	}
	if len(e.pending) > 0 {
		return fmt.Errorf("storage: Commit with %d written groups not yet published: %w", len(e.pending), messages.ErrInvalidArgument)
	}
	p, err := e.Write()
	if p == nil || err != nil {
		return err
	}
	p.Sync()
	return e.Publish(p)
}

// CommitEvents is Commit returning the committed events, in global order,
// with their payloads (the slices the appends were given, not copies): what
// the writer hands to subscribers. The caller owns the returned slice.
func (e *Engine) CommitEvents() ([]messages.Event, error) {
	if err := e.writable(); err != nil {
		return nil, err
	}
	if len(e.pending) > 0 {
		return nil, fmt.Errorf("storage: Commit with %d written groups not yet published: %w", len(e.pending), messages.ErrInvalidArgument)
	}
	p, err := e.Write()
	if p == nil || err != nil {
		return nil, err
	}
	p.Sync()
	return e.PublishEvents(p)
}

// Pending is a group of events written to the segment files but neither
// fsynced nor visible yet. Its Sync may run on another goroutine while the
// writer stages and writes the next group: that is pipelined group commit,
// which keeps the disk busy while the CPU prepares the next group.
type Pending struct {
	gen    uint64
	n      int
	events []messages.Event
	sizes  []int
	f      fs.File
	seg    uint64
	sync   bool // whether this group's mode calls for an fsync
	end    Position
	done   bool
	err    error
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
func (e *Engine) Write() (*Pending, error) {
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
	p := &Pending{gen: st.gen, n: len(st.events), events: st.events, sizes: st.sizes, f: e.active.f, seg: e.active.id,
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
	e.stage.recycle(p.events, p.sizes)
	p.events, p.sizes = nil, nil
	return nil
}

// PublishEvents is Publish returning the group's events with their
// payloads; the caller owns the returned slice.
func (e *Engine) PublishEvents(p *Pending) ([]messages.Event, error) {
	if err := e.publish(p); err != nil {
		return nil, err
	}
	evs := p.events
	p.events, p.sizes = nil, nil
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
	}
	x := e.idx
	x.mu.Lock()
	for i := range p.events {
		ev := &p.events[i]
		x.add(ev, ev.Segment, ev.Offset, p.sizes[i])
	}
	x.mu.Unlock()
	e.over.forget(p.events, p.gen)
	e.published = p.end
	e.pending[0] = nil
	e.pending = e.pending[1:]
	e.commits++
	return nil
}

// writeStaged writes the staged frames, rotating segments where staging
// placed a rotation, and adds their records to the footers.
func (e *Engine) writeStaged() error {
	st := &e.stage
	start := 0
	for i := 0; i <= len(st.frames); i++ {
		if i < len(st.frames) && !st.frames[i].rotated {
			continue
		}
		end := len(st.buf)
		if i < len(st.frames) {
			end = st.frames[i].bufOff
		}
		if err := e.writeFrames(st.frames[start:i], st.buf[st.frames[start].bufOff:end]); err != nil {
			return err
		}
		if i < len(st.frames) {
			if err := e.rotate(); err != nil {
				return err
			}
		}
		start = i
	}
	e.unsynced += len(st.events)
	return nil
}

func (e *Engine) writeFrames(frames []stagedFrame, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	s := e.active
	if _, err := s.f.WriteAt(data, s.size); err != nil {
		return ioError(fmt.Sprintf("write segment %d at %d", s.id, s.size), err, false)
	}
	s.size += int64(len(data))
	for i := range frames {
		f := &frames[i]
		if f.typ == bodyEvent {
			e.footer.addEvent(&e.stage.events[f.event], f.size)
		} else {
			e.footer.addMarker(f.typ, f.m, f.size)
		}
	}
	return nil
}

// rotate seals the active segment and starts the next, a continuation.
func (e *Engine) rotate() error {
	if err := e.sealActive(false); err != nil {
		return err
	}
	h := segmentHeader{id: e.active.id + 1, flags: flagContinuation, createdNS: e.opts.Clock().UnixNano()}
	s, err := createSegment(e.fs, e.dir, h, e.opts.SyncMode != SyncNone)
	if err != nil {
		return ioError("rotate", err, false)
	}
	e.countSegmentSyncs()
	e.active = s
	e.footer.reset()
	e.idx.mu.Lock()
	e.idx.segments[s.id] = s.f
	e.idx.mu.Unlock()
	return nil
}

// sealActive writes the active segment's footer and fsyncs it. On Close
// (closing=true) an active segment without frames is removed instead.
func (e *Engine) sealActive(closing bool) error {
	s := e.active
	if closing && s.size == headerSize {
		return e.removeEmptyActive()
	}
	e.sealBuf = e.footer.appendSeal(e.sealBuf[:0], s.id, s.size)
	if _, err := s.f.WriteAt(e.sealBuf, s.size); err != nil {
		return ioError(fmt.Sprintf("write footer of segment %d", s.id), err, false)
	}
	return e.syncFile(s)
}

func (e *Engine) removeEmptyActive() error {
	s := e.active
	e.idx.mu.Lock()
	delete(e.idx.segments, s.id)
	e.idx.mu.Unlock()
	if err := s.f.Close(); err != nil {
		return ioError(fmt.Sprintf("close empty segment %d", s.id), err, false)
	}
	if err := e.fs.Remove(s.path); err != nil {
		return ioError(fmt.Sprintf("remove empty segment %d", s.id), err, false)
	}
	if e.opts.SyncMode == SyncNone {
		return nil
	}
	if err := e.fs.SyncDir(e.dir); err != nil {
		return ioError("sync directory", err, true)
	}
	e.fsyncs++
	return nil
}

// countSegmentSyncs counts the header and directory fsyncs of a new segment.
func (e *Engine) countSegmentSyncs() {
	if e.opts.SyncMode != SyncNone {
		e.fsyncs += 2
	}
}

func (e *Engine) syncDue() bool {
	switch e.opts.SyncMode {
	case SyncEveryCommit:
		return true
	case SyncPeriodic:
		return e.unsynced >= e.opts.SyncEveryEvents || e.opts.Clock().Sub(e.lastSync) >= e.opts.SyncInterval
	}
	return false
}

func (e *Engine) syncActive() error { return e.syncFile(e.active) }

func (e *Engine) syncFile(s *segment) error {
	if e.opts.SyncMode == SyncNone {
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return ioError(fmt.Sprintf("fsync segment %d", s.id), err, true)
	}
	e.fsyncs++
	e.unsynced = 0
	e.lastSync = e.opts.Clock()
	return nil
}

// Sync commits anything staged and fsyncs the active segment, whatever the
// SyncMode (except SyncNone, where it only commits). Use it with
// SyncPeriodic to bound the window of events not yet durable.
func (e *Engine) Sync() error {
	if err := e.Commit(); err != nil {
		return err
	}
	if e.unsynced == 0 && e.opts.SyncMode != SyncPeriodic {
		return nil
	}
	if err := e.syncActive(); err != nil {
		e.failed = err
		return err
	}
	return nil
}

// Rollback discards everything staged since the last Commit (or Write).
// The receipts handed out for it are void; nothing of it was written.
// Written groups (Pending) are not affected.
func (e *Engine) Rollback() {
	e.nextSeq -= uint64(len(e.stage.events))
	e.stage.reset(e.active.id, e.active.size, true)
	e.over.reset()
	for _, p := range e.pending {
		for i := range p.events {
			e.over.record(&p.events[i], p.gen)
		}
	}
}

// Staged returns the number of events staged and not yet written.
func (e *Engine) Staged() int { return len(e.stage.events) }
