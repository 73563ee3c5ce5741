package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
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
	p, err := e.writeAndSync(false)
	if p == nil || err != nil {
		return err
	}
	return e.Publish(p)
}

// CommitEvents is Commit returning the committed events, in global order,
// with their payloads (copies of the bytes written, not the slices the
// appends were given). The caller owns the returned slice.
func (e *Engine) CommitEvents() ([]messages.Event, error) {
	p, err := e.writeAndSync(true)
	if p == nil || err != nil {
		return nil, err
	}
	return e.PublishEvents(p)
}

// writeAndSync is Commit up to the publish: it writes the staged group and
// fsyncs it (a nil Pending: nothing was staged).
func (e *Engine) writeAndSync(retain bool) (*Pending, error) {
	if err := e.writable(); err != nil {
		return nil, err
	}
	if len(e.pending) > 0 {
		return nil, fmt.Errorf("storage: Commit with %d written groups not yet published: %w", len(e.pending), messages.ErrInvalidArgument)
	}
	p, err := e.write(retain)
	if p != nil {
		p.Sync() // its error comes back from Publish, which also makes it sticky
	}
	return p, err
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
	if err := e.reserve(s, s.size+int64(len(data))); err != nil {
		return err
	}
	if _, err := s.f.WriteAt(data, s.size); err != nil {
		return ioError(fmt.Sprintf("write segment %d at %d", s.id, s.size), err, false)
	}
	s.size += int64(len(data))
	e.owePrep(int64(len(data)))
	e.footerRoom(len(frames))
	for i := range frames {
		f := &frames[i]
		switch f.typ {
		case format.TypeEvent:
			e.footer.AddEvent(&e.stage.events[f.event], f.size)
		case format.TypeSynced:
			e.footer.AddSynced(f.synced, f.size)
		default:
			e.footer.AddMarker(f.typ, f.m, f.size)
		}
	}
	return nil
}

// rotate seals the active segment and starts the next, a continuation: the
// prepared file if there is one (ahead.go), else a new file.
func (e *Engine) rotate() error {
	foot, err := e.sealRotating()
	if err != nil {
		return err
	}
	h := format.SegmentHeader{ID: e.active.id + 1, Flags: format.FlagContinuation, CreatedNS: e.opts.Clock().UnixNano()}
	sync := e.opts.SyncMode != SyncNone
	var s *segment
	s, err = e.takePrepared(h, sync)
	if err == nil && s == nil {
		s, err = createSegment(e.fs, e.dir, h, sync)
	}
	if err != nil {
		return ioError("rotate", err, false)
	}
	e.countSegmentSyncs()
	if foot != nil {
		err = e.finishSeal(foot) // before activate resets the footer builder
	}
	e.activate(s)
	e.writeCheckpoints() // of the segments the index has completed (see checkpoint.go)
	return err
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
	e.synced = Position{Segment: s.id, Offset: s.size}
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
	if e.ro != nil {
		return // nothing is ever staged
	}
	e.nextSeq -= uint64(len(e.stage.events))
	e.rewindHeads(e.stage.heads)
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
