package fs

import "golang.org/x/sys/unix"

// datasync flushes the data of fd (and the metadata needed to read it back)
// to stable storage.
func datasync(fd int) error { return unix.Fdatasync(fd) }
