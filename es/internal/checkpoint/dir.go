package checkpoint

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

// Dir is a directory of checkpoint files on a file system. Saves of
// different names may run at once; Saves of one name must not (a
// projection's or a reactor's actor makes them one at a time).
type Dir struct {
	fs   fs.FS
	path string

	mu sync.Mutex
	// ready is set once the directory exists and the entries of the
	// directories in unsynced are durable.
	ready bool
	// unsynced are the directory and those of its parents that a Save
	// created, whose entries in their parents are not known durable yet
	// (a sync failed), top down.
	unsynced []string
}

// New returns the checkpoint directory path on fsys (fs.OS() when nil).
// It touches nothing: the first Save creates the directory.
func New(fsys fs.FS, path string) *Dir {
	if fsys == nil {
		fsys = fs.OS()
	}
	return &Dir{fs: fsys, path: filepath.Clean(path)}
}

// Path returns the file of the checkpoint name.
func (d *Dir) Path(name string) string { return Path(d.path, name) }

// Save writes r as the checkpoint name, durably: when Save returns nil, a
// power cut at any later point leaves r (or a later record) in place, and
// a power cut during Save leaves the previous record or r, whole. It
// writes a temporary file, fsyncs it, renames it over the old file and
// fsyncs the directory.
//
// The first Save of a Dir creates the directory (0700) and the parents it
// lacks, and fsyncs the parent of each directory it created and, in any
// case, the directory's own parent (an earlier process may have created
// the directory and died before that sync); a failed fsync leaves them to
// the next Save of the Dir. Directories above that exist already are taken
// to be durable: an interrupted Save of an earlier process that created
// more than one level is made durable only up to the directory's parent.
// Each Save also removes the temporary files of name that an interrupted
// Save left behind.
//
// A file-system failure returns an error matching messages.ErrIO, or
// messages.ErrSyncFailed for a failed fsync, and leaves the previous
// record in place (or r, when only the last fsync failed).
func (d *Dir) Save(name string, r Record) error {
	if err := ValidName(name); err != nil {
		return err
	}
	b, err := Encode(r)
	if err != nil {
		return err
	}
	names, err := d.prepare()
	if err != nil {
		return err
	}
	d.removeStaleTemps(name, names)
	tmp, err := d.writeTemp(name, b)
	if err != nil {
		return err
	}
	if err := d.fs.Rename(tmp, d.Path(name)); err != nil {
		d.fs.Remove(tmp)
		return ioErr("rename "+tmp, err)
	}
	return d.syncDir(d.path)
}

// prepare makes sure the directory exists, durably (see Save), and
// returns its entries.
func (d *Dir) prepare() ([]string, error) {
	names, err := d.fs.ReadDir(d.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, ioErr("list "+d.path, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && d.ready {
		return names, nil
	}
	d.ready = false
	if err := d.mkdir(); err != nil {
		return nil, err
	}
	for len(d.unsynced) > 0 {
		if err := d.syncDir(filepath.Dir(d.unsynced[0])); err != nil {
			return nil, err
		}
		d.unsynced = d.unsynced[1:]
	}
	d.ready = true
	return names, nil
}

// mkdir creates the directory and its missing parents, and adds them, and
// the directory in any case, to d.unsynced. d.mu is held.
func (d *Dir) mkdir() error {
	for p := d.path; ; {
		if !slices.Contains(d.unsynced, p) {
			d.unsynced = append(d.unsynced, p)
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		if _, err := d.fs.ReadDir(parent); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return ioErr("list "+parent, err)
		}
		p = parent
	}
	// All of d.unsynced lie on the way to d.path: top down is shortest first.
	slices.SortFunc(d.unsynced, func(a, b string) int { return len(a) - len(b) })
	if err := d.fs.MkdirAll(d.path, 0o700); err != nil {
		return ioErr("create "+d.path, err)
	}
	return nil
}

// tempPrefix begins the names of name's temporary files, which end in
// decimal digits.
func tempPrefix(name string) string { return "." + name + ".tmp-" }

// removeStaleTemps removes, among the entries names, the temporary files
// of name that an interrupted Save left behind (never a checkpoint: those
// are renamed into place, nor another name's temporary file).
func (d *Dir) removeStaleTemps(name string, names []string) {
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, tempPrefix(name))
		if ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			d.fs.Remove(filepath.Join(d.path, n))
		}
	}
}

// writeTemp writes b to a new temporary file of name, fsyncs it and
// returns its path. On failure it leaves no file.
func (d *Dir) writeTemp(name string, b []byte) (string, error) {
	var f fs.File
	var tmp string
	var err error
	for range 10 {
		tmp = filepath.Join(d.path, tempPrefix(name)+strconv.FormatUint(rand.Uint64(), 10))
		f, err = d.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", ioErr("create "+tmp, err)
	}
	_, err = f.WriteAt(b, 0)
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("batpak checkpoint: fsync %s: %w: %w", tmp, messages.ErrSyncFailed, err)
		}
	} else {
		err = ioErr("write "+tmp, err)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = ioErr("close "+tmp, cerr)
	}
	if err != nil {
		d.fs.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// syncDir fsyncs dir, making the entries created, renamed or removed in it
// durable.
func (d *Dir) syncDir(dir string) error {
	if err := d.fs.SyncDir(dir); err != nil {
		return fmt.Errorf("batpak checkpoint: fsync directory %s: %w: %w", dir, messages.ErrSyncFailed, err)
	}
	return nil
}

// Load reads the checkpoint name. found is false when there is none; a
// file that is there but not an intact record gives an error matching
// messages.ErrCorrupt (and found false).
func (d *Dir) Load(name string) (r Record, found bool, err error) {
	if err := ValidName(name); err != nil {
		return Record{}, false, err
	}
	b, err := d.readFile(d.Path(name))
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, ioErr("read "+d.Path(name), err)
	}
	r, err = Decode(b)
	if err != nil {
		return Record{}, false, fmt.Errorf("%s: %w", d.Path(name), err)
	}
	return r, true, nil
}

// readFile returns the contents of the file p.
func (d *Dir) readFile(p string) ([]byte, error) { return fs.ReadFile(d.fs, p) }

// ioErr wraps a file-system error with messages.ErrIO and what was done.
func ioErr(what string, err error) error {
	return fmt.Errorf("batpak checkpoint: %s: %w: %w", what, messages.ErrIO, err)
}
