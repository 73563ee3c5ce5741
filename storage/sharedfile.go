package storage

import (
	"sync/atomic"

	"github.com/batpak-go/batpak/storage/fs"
)

// sharedFile is a segment file as the index holds it for readers, with
// its read-only memory map once it is sealed (see mapSealed). It is
// reference counted, so that closing the engine (or a writer restart that
// releases it) never closes or unmaps a file under a read in progress: a
// reader takes a reference under the index's read lock (see
// frameReader.acquire) and drops it when it is done with the file's frames;
// Close drops the index's own reference, and the file is unmapped and
// closed by whoever drops the last one. A reader that comes after Close
// finds the index closed and gets ErrClosed, never an I/O error about a
// closed file or a fault on an unmapped page.
type sharedFile struct {
	fs.File
	refs    atomic.Int64 // the index's reference plus one per reader holding it
	dropped atomic.Bool
	mapping atomic.Pointer[fileMap] // set once, when sealed; nil if not (yet) mapped
	tried   atomic.Bool             // a map was attempted (it is not retried)
}

// fileMap is a read-only memory map of a sealed segment.
type fileMap struct {
	data  []byte
	unmap func() error
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

// release drops one reference; the last one unmaps and closes the file.
func (s *sharedFile) release() error {
	if s.refs.Add(-1) != 0 {
		return nil
	}
	var err error
	if m := s.mapping.Swap(nil); m != nil {
		err = m.unmap()
	}
	if cerr := s.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// mapped returns the file's memory map, or nil. The caller holds a
// reference, so the map stays valid until it releases it.
func (s *sharedFile) mapped() []byte {
	if m := s.mapping.Load(); m != nil {
		return m.data
	}
	return nil
}
