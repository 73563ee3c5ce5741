package fs

import (
	"errors"
	"fmt"
)

// Mapper is implemented by files that can be mapped read-only into memory:
// OS files on Linux and macOS, and Mem files. Files of other file systems
// (Faulty's, OS files elsewhere) are read with ReadAt instead.
type Mapper interface {
	// Map maps the first size bytes of the file read-only and returns them
	// with the function that unmaps them; the bytes must not be touched
	// after it. The mapping may be shorter than size (Mem maps only what
	// the file holds). On the OS, touching a byte of the mapping past the
	// file's end (a file truncated under its mapping) raises SIGBUS: read
	// a mapping only under runtime/debug.SetPanicOnFault (see storage's
	// copyMapped).
	Map(size int64) (data []byte, unmap func() error, err error)
}

// Map maps the first size bytes of f read-only if f implements Mapper, and
// fails with an error wrapping errors.ErrUnsupported otherwise.
func Map(f File, size int64) ([]byte, func() error, error) {
	m, ok := f.(Mapper)
	if !ok {
		return nil, nil, fmt.Errorf("fs: map a %T: %w", f, errors.ErrUnsupported)
	}
	return m.Map(size)
}
