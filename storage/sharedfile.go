package storage

import (
	"sync/atomic"

	"github.com/batpak-go/batpak/storage/fs"
)

// sharedFile is a segment file as the index holds it for readers. It is
// reference counted, so that closing the engine (or a writer restart that
// releases it) never closes a file under a read in progress: a reader takes
// a reference under the index's read lock (see index.acquire) and drops it
// after its ReadAt; Close drops the index's own reference, and the file is
// closed by whoever drops the last one. A reader that comes after Close
// finds the file gone from the index and gets ErrClosed, never an I/O
// error about a closed file.
type sharedFile struct {
	fs.File
	refs    atomic.Int64 // the index's reference plus one per read in progress
	dropped atomic.Bool
}

func share(f fs.File) *sharedFile {
	s := &sharedFile{File: f}
	s.refs.Store(1)
	return s
}

// Close drops the index's reference; the file closes when no read holds it.
func (s *sharedFile) Close() error {
	if !s.dropped.CompareAndSwap(false, true) {
		return nil
	}
	return s.release()
}

func (s *sharedFile) acquire() { s.refs.Add(1) }

// release drops one reference and closes the file with the last one.
func (s *sharedFile) release() error {
	if s.refs.Add(-1) == 0 {
		return s.File.Close()
	}
	return nil
}
