package snapshot

import (
	"errors"
	"fmt"
	"os"

	"github.com/batpak-go/batpak/messages"
)

// Latest returns the newest valid snapshot of c's state of type typ, and
// false if there is none. It checks each candidate file whole (magic,
// format version, size, checksum, and that the coordinate, type and
// version inside are the ones asked for) and skips a file that fails: it
// is never returned, but counted in Stats, logged, and renamed to
// <name>.corrupt so that it is not read again; Latest then tries the next
// older one. A snapshot removed by a concurrent Save or Delete while
// Latest reads is skipped, and the list read again. A file-system failure
// other than a missing file returns an error
// matching messages.ErrIO.
func (s *Store) Latest(c messages.Coordinate, typ string) (Snapshot, bool, error) {
	if err := validateKey(c, typ); err != nil {
		return Snapshot{}, false, err
	}
	key := keyOf(c, typ)
	for round := 1; ; round++ {
		sn, ok, raced, err := s.latest(key, c, typ)
		if !raced || ok || err != nil || round == maxRounds {
			return sn, ok, err
		}
		// A file listed was removed meanwhile by a concurrent Save's
		// retention or a Delete: a newer one may have been saved; look again.
	}
}

// maxRounds bounds Latest's new looks after files vanished under it.
const maxRounds = 8

// latest tries key's listed versions, newest first. raced reports that a
// listed file was gone.
func (s *Store) latest(key string, c messages.Coordinate, typ string) (sn Snapshot, ok, raced bool, err error) {
	vs, err := s.versions(key)
	if err != nil {
		return Snapshot{}, false, false, err
	}
	for _, v := range vs {
		sn, reason, err := s.read(fileName(key, v), c, typ, v)
		switch {
		case err != nil && isNotExist(err):
			raced = true
			s.forgetMissing(key, v)
			continue
		case err != nil:
			return Snapshot{}, false, false, err
		case reason != "":
			s.setAside(key, v, c, typ, reason)
			continue
		}
		return sn, true, raced, nil
	}
	return Snapshot{}, false, raced, nil
}

// read reads and checks the file name, which should hold version v of c's
// snapshot of type typ. A failed check is a reason; an error is the file
// system's.
func (s *Store) read(name string, c messages.Coordinate, typ string, v uint64) (Snapshot, string, error) {
	b, err := s.readFile(name)
	if err != nil {
		return Snapshot{}, "", err
	}
	sn, reason := decode(b)
	switch {
	case reason != "":
	case sn.Coordinate != c:
		reason = fmt.Sprintf("holds coordinate %v, want %v", sn.Coordinate, c)
	case sn.Type != typ:
		reason = fmt.Sprintf("holds type %q, want %q", sn.Type, typ)
	case sn.Version != v:
		reason = fmt.Sprintf("holds version %d, its name says %d", sn.Version, v)
	}
	return sn, reason, nil
}

// readFile returns the contents of the file name.
func (s *Store) readFile(name string) ([]byte, error) {
	f, err := s.opts.FS.OpenFile(s.path(name), os.O_RDONLY, 0)
	if err != nil {
		if isNotExist(err) {
			return nil, err
		}
		return nil, ioErr("open "+name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, ioErr("size "+name, err)
	}
	b := make([]byte, size)
	if n, err := f.ReadAt(b, 0); n < len(b) {
		return nil, ioErr("read "+name, err)
	}
	return b, nil
}

// forgetMissing drops version v of key from the index if its file is
// still missing (removed by hand, or by a concurrent Save or Delete).
func (s *Store) forgetMissing(key string, v uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.opts.FS.OpenFile(s.path(fileName(key, v)), os.O_RDONLY, 0)
	if err == nil {
		f.Close()
		return
	}
	if isNotExist(err) {
		s.drop(key, v)
	}
}

// setAside renames a corrupt file to <name>.corrupt and forgets it, after
// checking again under s.mu that it is still corrupt (a concurrent Save of
// the same version may have replaced it meanwhile).
func (s *Store) setAside(key string, v uint64, c messages.Coordinate, typ string, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := fileName(key, v)
	if _, again, err := s.read(name, c, typ, v); s.closed || err != nil || again == "" {
		return
	}
	s.opts.FS.Rename(s.path(name), s.path(name+corruptExt)) // best effort: it is forgotten either way
	s.drop(key, v)
	s.corrupt++
	s.last = &CorruptError{File: name, Reason: reason}
	s.opts.Logger.Warn("batpak snapshot skipped", "error", s.last.Error())
}

// Delete removes c's snapshots of type typ whose version is at most upTo,
// durably (the directory is fsynced before it returns). Deleting what is
// not there is not an error.
func (s *Store) Delete(c messages.Coordinate, typ string, upTo uint64) error {
	if err := validateKey(c, typ); err != nil {
		return err
	}
	key := keyOf(c, typ)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return err
	}
	var errs []error
	var removed []uint64
	for _, v := range s.index[key] {
		if v > upTo {
			break
		}
		name := fileName(key, v)
		if err := s.opts.FS.Remove(s.path(name)); err != nil && !isNotExist(err) {
			errs = append(errs, ioErr("remove "+name, err))
			continue
		}
		removed = append(removed, v)
	}
	for _, v := range removed {
		s.drop(key, v)
	}
	if err := s.opts.FS.SyncDir(s.dir); err != nil {
		errs = append(errs, ioErr("sync "+s.dir, err))
	}
	return errors.Join(errs...)
}
