//go:build linux || darwin

package fs

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// Map implements Mapper with mmap(2): a shared, read-only mapping, so that
// it shows what the file holds (the page cache) without a copy.
func (f osFile) Map(size int64) ([]byte, func() error, error) {
	if size <= 0 || size > math.MaxInt {
		return nil, nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: fmt.Errorf("size %d: %w", size, syscall.EINVAL)}
	}
	var data []byte
	err := withFd(f.File, func(fd int) error {
		var err error
		data, err = syscall.Mmap(fd, 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
		return err
	})
	if err != nil {
		return nil, nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
