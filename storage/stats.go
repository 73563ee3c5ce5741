package storage

// Stats is a snapshot of the engine's state.
type Stats struct {
	Events        int    // committed (published) events in the store
	Streams       int    // entities with at least one event
	Segments      int    // segment files open (sealed and active)
	ActiveSegment uint64 // id of the segment being written (from 1; WriterStats only)
	NextSequence  uint64 // global sequence the next committed event gets: 0 on an empty store
	Staged        int    // events staged and not yet written (WriterStats only)
	Pending       int    // groups written and not yet published (WriterStats only)
	Commits       uint64 // successful commits since Open (WriterStats only)
	Fsyncs        uint64 // fsyncs since Open: segment data, footers, new segments' headers, the directory (WriterStats only)
	Failed        bool   // a commit failed; the engine refuses writes until reopened (WriterStats only)
	// SegmentBytes is the size of the open segment files (sealed and
	// active, the active one with the zeros written ahead of its data, see
	// Options.Preallocate) as the file system reports it: what the log
	// takes on disk. Index checkpoints and the next segment's file being
	// prepared ahead are not counted.
	SegmentBytes int64
	// IndexBytes estimates the memory the in-memory index allocates:
	// entries (in whole chunks), the id and correlation tables, the
	// sequence, correlation and causation side tables (the causation one
	// only as far as it was built: see Engine.Descendants), the streams'
	// positions, and
	// per stream its record, coordinate and map slot (allocator overhead
	// not counted).
	IndexBytes int64
	// Checkpoints and CheckpointErrors count the index checkpoints written,
	// and those that failed to write (harmless: Open then replays that
	// segment), since Open.
	Checkpoints, CheckpointErrors int
	// Recovery is what the Open that made this engine found and did (torn
	// tails cut, batches discarded, checkpoints used or ignored...); it
	// does not change after Open.
	Recovery RecoveryReport
}

// Stats returns a snapshot of the engine's counters. The writer's fields
// (Staged, Commits, Fsyncs, Failed, Checkpoints, CheckpointErrors) are
// filled only by WriterStats.
func (e *Engine) Stats() Stats {
	e.idx.mu.RLock()
	defer e.idx.mu.RUnlock()
	s := Stats{
		Events:     e.idx.count(),
		Streams:    len(e.idx.streams),
		Segments:   len(e.idx.segments),
		Recovery:   e.recovery,
		IndexBytes: e.idx.bytes(),
	}
	s.NextSequence = e.idx.nextSeq()
	for _, f := range e.idx.segments {
		if n, err := f.Size(); err == nil {
			s.SegmentBytes += n
		}
	}
	return s
}

// WriterStats adds the writer-side counters to Stats; call it only from
// the goroutine that appends.
func (e *Engine) WriterStats() Stats {
	s := e.Stats()
	if e.ro != nil {
		return s // a read-only engine has no writer
	}
	s.ActiveSegment = e.active.id
	s.Staged = len(e.stage.events)
	s.Pending = len(e.pending)
	s.Commits = e.commits
	s.Fsyncs = e.fsyncs
	s.Failed = e.failed != nil
	s.Checkpoints, s.CheckpointErrors = e.ckptWritten, e.ckptErrors
	return s
}
