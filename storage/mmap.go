package storage

import (
	"fmt"
	"runtime/debug"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// Sealed segments never change while the engine is open, so readers read
// them through read-only memory maps (no system call per read); the active
// segment is read with ReadAt. A segment is mapped when it stops being the
// active one (at rotation) and, at Open, every recovered segment is. A file
// system that cannot map (fs.Mapper) leaves every segment to ReadAt.

// mapSealed maps every open segment but active that no map was tried for
// yet. A segment that does not map is read with ReadAt.
func (e *Engine) mapSealed(active uint64) {
	var todo []*sharedFile
	e.idx.mu.RLock()
	for id, f := range e.idx.segments {
		if id != active && !f.tried.Load() {
			f.acquire() // Release may drop the index's reference meanwhile
			todo = append(todo, f)
		}
	}
	e.idx.mu.RUnlock()
	for _, f := range todo {
		f.mapWhole()
		f.release()
	}
}

// mapWhole maps the whole file, once; the caller holds a reference.
func (s *sharedFile) mapWhole() {
	if !s.tried.CompareAndSwap(false, true) {
		return
	}
	size, err := s.Size()
	if err != nil || size <= format.HeaderSize {
		return
	}
	data, unmap, err := fs.Map(s.File, size)
	if err != nil {
		return // an optimisation only: ReadAt serves the reads
	}
	s.mapping.Store(&fileMap{data: data, unmap: unmap})
}

// copyMapped copies the bytes of m from off into dst, turning a memory
// fault into an error. A mapped file that shrinks under its map (truncated
// from outside the engine: an operator, a disk tool) makes the pages past
// its new end raise SIGBUS, which would kill the process; under
// SetPanicOnFault the runtime panics instead, on this goroutine, and the
// panic is recovered here. Only this function touches a map, and it copies
// out of it, so no byte handed to a caller aliases a map.
func copyMapped(dst, m []byte, off int64) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(interface{ Addr() uintptr })
			if !ok {
				panic(p)
			}
			err = fmt.Errorf("memory fault at %#x: %w", f.Addr(), messages.ErrIO)
		}
	}()
	copy(dst, m[off:off+int64(len(dst))])
	return nil
}
