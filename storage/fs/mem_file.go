package fs

import (
	"errors"
	"io"
	"os"
	"slices"
	"syscall"
)

// memNode is the content of one Mem file, shared by all its handles.
// All fields are guarded by the owning Mem's mutex.
type memNode struct {
	data   []byte // current contents
	synced []byte // durable contents, as of the last Sync; never aliases data
	// dirtyFrom is the lowest offset modified (written or truncated) since
	// the last Sync, or -1 if nothing was. It never exceeds len(synced), so
	// Sync only copies data[dirtyFrom:].
	dirtyFrom int64
}

func newMemNode() *memNode { return &memNode{dirtyFrom: -1} }

// markDirty records a modification starting at off.
func (n *memNode) markDirty(off int64) {
	if n.dirtyFrom < 0 || off < n.dirtyFrom {
		n.dirtyFrom = off
	}
}

// resize sets the length of data to size, zero-filling any growth.
func (n *memNode) resize(size int64) {
	old := int64(len(n.data))
	if size <= old {
		n.data = n.data[:size]
		return
	}
	n.data = slices.Grow(n.data, int(size-old))[:size]
	clear(n.data[old:]) // the spare capacity may hold bytes from a truncation
}

// writeAt writes p at off, zero-filling any gap beyond the end.
func (n *memNode) writeAt(p []byte, off int64) {
	if len(p) == 0 {
		return // like pwrite(2): an empty write does not extend the file
	}
	end := off + int64(len(p))
	n.markDirty(min(off, int64(len(n.data))))
	if end > int64(len(n.data)) {
		n.resize(end)
	}
	copy(n.data[off:], p)
}

// truncate changes the size of data to size.
func (n *memNode) truncate(size int64) {
	if size == int64(len(n.data)) {
		return
	}
	n.markDirty(min(size, int64(len(n.data))))
	n.resize(size)
}

// sync makes data durable, copying only what changed since the last sync.
func (n *memNode) sync() {
	if n.dirtyFrom < 0 {
		return
	}
	from := min(n.dirtyFrom, int64(len(n.synced))) // min is defensive
	n.synced = append(n.synced[:from], n.data[from:]...)
	n.dirtyFrom = -1
}

// memFile is a handle on a Mem file.
type memFile struct {
	m        *Mem
	node     *memNode
	name     string
	canRead  bool
	canWrite bool
	append   bool // opened with O_APPEND: WriteAt fails, as with os.File
	closed   bool // guarded by m.mu
}

// errNegativeOffset is returned for a negative offset, as by os.File.
var errNegativeOffset = errors.New("negative offset")

// ReadAt implements io.ReaderAt like os.File: a read that reaches the end
// of the file returns io.EOF with the bytes it got.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read", f.canRead); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, errNegativeOffset)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt. Writing beyond the end zero-fills the gap.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("write", f.canWrite); err != nil {
		return 0, err
	}
	if f.append {
		return 0, errors.New("fs: invalid use of WriteAt on file opened with O_APPEND")
	}
	if off < 0 {
		return 0, pathErr("writeat", f.name, errNegativeOffset)
	}
	f.node.writeAt(p, off)
	return len(p), nil
}

// Sync implements File: the file's current data becomes durable.
func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("sync", true); err != nil {
		return err
	}
	f.node.sync()
	return nil
}

// Truncate implements File. The handle must be writable.
func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("truncate", f.canWrite); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	f.node.truncate(size)
	return nil
}

// Size implements File.
func (f *memFile) Size() (int64, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("stat", true); err != nil {
		return 0, err
	}
	return int64(len(f.node.data)), nil
}

// Close implements io.Closer. A second Close returns os.ErrClosed.
func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, os.ErrClosed)
	}
	f.closed = true
	return nil
}

// check fails if f is closed or the access mode does not allow op.
// f.m.mu must be held.
func (f *memFile) check(op string, allowed bool) error {
	if f.closed {
		return pathErr(op, f.name, os.ErrClosed)
	}
	if !allowed {
		return pathErr(op, f.name, syscall.EBADF)
	}
	return nil
}
