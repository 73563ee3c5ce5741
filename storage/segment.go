package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// listSegments returns the segment ids found in dir, ascending, and the
// highest id ever used there, counting segments set aside by a repair, so
// that an id is never reused.
func listSegments(fsys fs.FS, dir string) ([]uint64, uint64, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	ids, last := segmentIDs(names)
	return ids, last, nil
}

// segmentIDs is listSegments on the (sorted) names of a directory.
func segmentIDs(names []string) ([]uint64, uint64) {
	var ids []uint64
	var last uint64
	for _, n := range names {
		id, ok := format.ParseSegmentName(strings.TrimSuffix(n, droppedExt))
		if !ok {
			continue
		}
		last = max(last, id)
		if !isDropped(n) {
			ids = append(ids, id)
		}
	}
	return ids, last // ReadDir sorts names; fixed-width names sort by id
}

// segment is one open segment file.
type segment struct {
	id   uint64
	path string
	f    fs.File
	size int64 // end of the committed data: the next frame goes here
	// allocated is the end of the zeros written ahead (Options.Preallocate).
	allocated int64
}

// createSegment creates segment id in dir with its header, makes the header
// and the directory entry durable (unless sync is false) and returns it.
func createSegment(fsys fs.FS, dir string, h format.SegmentHeader, sync bool) (*segment, error) {
	path := filepath.Join(dir, format.SegmentName(h.ID))
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create segment %d: %w", h.ID, err)
	}
	s := &segment{id: h.ID, path: path, f: f, size: format.HeaderSize}
	fail := func(what string, err error) (*segment, error) {
		f.Close()
		fsys.Remove(path) // best effort: a headerless last segment is removed on open anyway
		return nil, fmt.Errorf("%s of segment %d: %w", what, h.ID, err)
	}
	if _, err := f.WriteAt(h.Encode(), 0); err != nil {
		return fail("write header", err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fail("sync header", err)
		}
		if err := fsys.SyncDir(dir); err != nil {
			return fail("sync directory after creation", err)
		}
	}
	return s, nil
}
