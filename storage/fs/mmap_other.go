//go:build !linux && !darwin

package fs

import (
	"errors"
	"os"
)

// Map implements Mapper where the engine does not map files: it always
// fails (errors.ErrUnsupported), and the file is read with ReadAt.
func (f osFile) Map(int64) ([]byte, func() error, error) {
	return nil, nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: errors.ErrUnsupported}
}
