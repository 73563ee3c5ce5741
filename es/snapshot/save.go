package snapshot

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Save stores sn durably: when it returns nil, the snapshot survives a
// crash or power loss. It writes a temporary file, fsyncs it, renames it
// to its final name and fsyncs the directory, so a crash at any point
// leaves the previous snapshots and either all of sn or nothing of it.
// Saving a version that is already stored replaces it.
//
// Retention: afterwards only the newest Options.Keep snapshots of sn's
// coordinate and type are kept; older ones are removed (their removal is
// made durable by the next directory sync; one that survives a crash is
// removed by a later Save). A version older than the newest Keep is
// therefore removed at once: Save returns nil and Latest never sees it.
//
// Bad input (an invalid coordinate, an empty or over-long type, version 0)
// is refused with an error matching messages.ErrInvalidArgument or
// messages.ErrInvalidCoordinate, and writes nothing; a file-system failure
// returns an error matching messages.ErrIO and leaves no file behind.
func (s *Store) Save(sn Snapshot) error {
	if err := sn.validate(); err != nil {
		return err
	}
	if sn.WallMS == 0 {
		sn.WallMS = time.Now().UnixMilli()
	}
	key := keyOf(sn.Coordinate, sn.Type)
	final := fileName(key, sn.Version)
	tmp, err := s.tempName(final)
	if err != nil {
		return err
	}
	if err := s.writeTemp(tmp, encode(&sn)); err != nil {
		s.opts.FS.Remove(s.path(tmp))
		return err
	}
	return s.publish(key, sn.Version, tmp, final)
}

// tempName returns a fresh temporary name for final.
func (s *Store) tempName(final string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return "", err
	}
	s.tmpSeq++
	return fmt.Sprintf("%s%s%d", final, tmpMarker, s.tmpSeq), nil
}

// writeTemp writes b to the new file tmp and fsyncs it.
func (s *Store) writeTemp(tmp string, b []byte) error {
	f, err := s.opts.FS.OpenFile(s.path(tmp), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return ioErr("create "+tmp, err)
	}
	_, werr := f.WriteAt(b, 0)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return ioErr("write "+tmp, err)
	}
	return nil
}

// publish renames tmp to final, fsyncs the directory, records the version
// and applies the retention rule, all under s.mu (so that Close, Delete
// and the setting aside of corrupt files see each Save whole).
func (s *Store) publish(key string, v uint64, tmp, final string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		s.opts.FS.Remove(s.path(tmp))
		return err
	}
	if err := s.opts.FS.Rename(s.path(tmp), s.path(final)); err != nil {
		s.opts.FS.Remove(s.path(tmp))
		return ioErr("rename "+tmp, err)
	}
	// From here the file may or may not survive a crash until the sync
	// below: index it either way, so that a failed sync still leaves the
	// store's view consistent with the directory.
	s.insert(key, v)
	if err := s.opts.FS.SyncDir(s.dir); err != nil {
		return ioErr("sync "+s.dir, err)
	}
	s.retain(key)
	return nil
}

// retain removes key's snapshots beyond the newest Keep. A removal that
// fails leaves the file indexed, to be retried by the next Save. s.mu is
// held.
func (s *Store) retain(key string) {
	vs := s.index[key]
	for len(vs) > s.opts.Keep {
		v := vs[0]
		if err := s.opts.FS.Remove(s.path(fileName(key, v))); err != nil && !isNotExist(err) {
			return
		}
		s.drop(key, v)
		vs = s.index[key]
	}
}
