package storage

// Stats is a snapshot of the engine's state.
type Stats struct {
	Events        int    // committed events
	Streams       int    // entities with at least one event
	Segments      int    // open segment files
	ActiveSegment uint64 // id of the segment being written
	NextSequence  uint64 // global sequence of the next event
	Staged        int    // events staged and not yet written
	Pending       int    // groups written and not yet published
	Commits       uint64 // successful commits since Open
	Fsyncs        uint64 // fsyncs since Open: segment data, footers, new segments' headers, the directory
	Failed        bool   // a commit failed; the engine refuses writes
	Recovery      RecoveryReport
}

// Stats returns a snapshot of the engine's counters. The writer's fields
// (Staged, Commits, Fsyncs, Failed) are exact only when read from the
// writer's goroutine.
func (e *Engine) Stats() Stats {
	e.idx.mu.RLock()
	defer e.idx.mu.RUnlock()
	s := Stats{
		Events:   e.idx.count(),
		Streams:  len(e.idx.streams),
		Segments: len(e.idx.segments),
		Recovery: e.recovery,
	}
	s.NextSequence = e.idx.nextSeq()
	return s
}

// WriterStats adds the writer-side counters to Stats; call it only from
// the goroutine that appends.
func (e *Engine) WriterStats() Stats {
	s := e.Stats()
	s.ActiveSegment = e.active.id
	s.Staged = len(e.stage.events)
	s.Pending = len(e.pending)
	s.Commits = e.commits
	s.Fsyncs = e.fsyncs
	s.Failed = e.failed != nil
	return s
}
