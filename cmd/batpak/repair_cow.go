package main

import (
	"io"
	"os"
	"sync"

	"github.com/batpak-go/batpak/storage/fs"
)

// cowNode is a file as a dry run sees it: the first keep bytes of a file
// on the disk (base, opened read-only; nil for a file the dry run created)
// followed by tail, in memory. Cuts and writes change keep and tail, never
// the disk. The engine writes only at the end of the files it recovers (a
// footer after a cut) and into files it creates, so tail stays small.
type cowNode struct {
	mu   sync.Mutex
	base fs.File
	keep int64
	tail []byte
}

// nodeDry returns the node of path, loading a file of the disk.
func (r *repairFS) nodeDry(path string) (*cowNode, error) {
	if n := r.nodes[path]; n != nil {
		return n, nil
	}
	if r.gone[path] {
		return nil, &os.PathError{Op: "open", Path: path, Err: os.ErrNotExist}
	}
	f, err := r.real.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, err
	}
	n := &cowNode{base: f, keep: size}
	r.nodes[path] = n
	return n, nil
}

// existsDry reports whether path exists in the dry run's view.
func (r *repairFS) existsDry(path string) bool {
	_, err := r.nodeDry(path)
	return err == nil
}

// openDry opens path in the dry run's view.
func (r *repairFS) openDry(path string, flag int) (fs.File, error) {
	n, err := r.nodeDry(path)
	switch {
	case err == nil && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &os.PathError{Op: "open", Path: path, Err: errDryExists}
	case err != nil && flag&os.O_CREATE != 0 && os.IsNotExist(err):
		n = &cowNode{}
		r.nodes[path] = n
		delete(r.gone, path)
	case err != nil:
		return nil, err
	}
	h := &cowHandle{cowNode: n, r: r, o: r.t.files[path]}
	if flag&os.O_TRUNC != 0 {
		if err := h.truncate(0); err != nil { // r.mu is held
			return nil, err
		}
	}
	return h, nil
}

// ReadAt implements io.ReaderAt over base and tail.
func (n *cowNode) ReadAt(p []byte, off int64) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.readAt(p, off)
}

func (n *cowNode) readAt(p []byte, off int64) (int, error) {
	size := n.keep + int64(len(n.tail))
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		if pos >= size {
			return done, io.EOF
		}
		if pos < n.keep {
			m := int(min(int64(len(p)-done), n.keep-pos))
			if _, err := n.base.ReadAt(p[done:done+m], pos); err != nil {
				return done, err
			}
			done += m
			continue
		}
		done += copy(p[done:], n.tail[pos-n.keep:])
	}
	return done, nil
}

// cowHandle is an open file of the dry run, telling the tracker about
// cuts and writes as the disk's files do (see trackedFile).
type cowHandle struct {
	*cowNode
	r *repairFS
	o *origin
}

// WriteAt implements fs.File: a write below keep first moves the base's
// bytes from there into the tail.
func (h *cowHandle) WriteAt(p []byte, off int64) (int, error) {
	h.r.mu.Lock()
	h.r.t.wrote(h.o, off)
	h.r.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if off < h.keep {
		head := make([]byte, h.keep-off)
		if _, err := h.base.ReadAt(head, off); err != nil {
			return 0, err
		}
		h.tail, h.keep = append(head, h.tail...), off
	}
	rel := int(off - h.keep)
	if need := rel + len(p); need > len(h.tail) {
		h.tail = append(h.tail, make([]byte, need-len(h.tail))...)
	}
	return copy(h.tail[rel:], p), nil
}

// Truncate implements fs.File (the tracker first records the cut).
func (h *cowHandle) Truncate(size int64) error {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	return h.truncate(size)
}

// truncate is Truncate with h.r.mu held.
func (h *cowHandle) truncate(size int64) error {
	if err := h.r.t.cut(h.o, h.cowNode, size); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if size <= h.keep {
		h.keep, h.tail = size, nil
		return nil
	}
	want := int(size - h.keep)
	if want <= len(h.tail) {
		h.tail = h.tail[:want]
	} else {
		h.tail = append(h.tail, make([]byte, want-len(h.tail))...)
	}
	return nil
}

// Size implements fs.File.
func (h *cowHandle) Size() (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.keep + int64(len(h.tail)), nil
}

// Sync implements fs.File: nothing reaches the disk in a dry run.
func (h *cowHandle) Sync() error { return nil }

// Close implements fs.File; the node stays (the repairFS closes its base).
func (h *cowHandle) Close() error { return nil }
