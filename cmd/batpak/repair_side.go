package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/batpak-go/batpak/storage/fs"
)

// sideDir is the directory in the store where repair saves what it cuts
// (DIR/repair-<UTC time>), created with the first file. Every file is
// synced, and the directory too, before the cut it saves is made.
type sideDir struct {
	store   string
	path    string
	created bool
}

func newSideDir(store string, now time.Time) *sideDir {
	return &sideDir{store: store, path: filepath.Join(store, "repair-"+now.UTC().Format("20060102T150405Z"))}
}

// save writes the bytes of r to the side file name, durably.
func (s *sideDir) save(name string, r io.Reader) error {
	if err := s.create(); err != nil {
		return err
	}
	path := filepath.Join(s.path, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("repair: save the bytes to cut: %w", err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = fs.SyncFile(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.OS().SyncDir(s.path)
	}
	if err != nil {
		return fmt.Errorf("repair: save the bytes to cut in %s: %w", path, err)
	}
	return nil
}

// create makes the directory (once) and syncs the store directory.
func (s *sideDir) create() error {
	if s.created {
		return nil
	}
	base := s.path
	err := os.Mkdir(s.path, 0o700)
	for n := 2; errors.Is(err, os.ErrExist) && n < 100; n++ { // a repair in the same second
		s.path = fmt.Sprintf("%s-%d", base, n)
		err = os.Mkdir(s.path, 0o700)
	}
	if err != nil {
		return fmt.Errorf("repair: create %s: %w", s.path, err)
	}
	if err := fs.OS().SyncDir(s.store); err != nil {
		return fmt.Errorf("repair: sync %s: %w", s.store, err)
	}
	s.created = true
	return nil
}

// writeIndex writes repair.json (the report, for machines) and README.txt
// (what the files are and how to put bytes back) into the directory, if it
// was created.
func (s *sideDir) writeIndex(rep *repairReport) error {
	if !s.created {
		return nil
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	var readme strings.Builder
	fmt.Fprintf(&readme, "batpak repair of %s, %s\n\n", s.store, rep.Time)
	fmt.Fprintf(&readme, "Each .cut file holds, byte for byte, what repair cut from a segment:\n")
	fmt.Fprintf(&readme, "NAME.from-OFFSET.cut holds the bytes of NAME from OFFSET to where the file ended.\n\n")
	for _, l := range describeActions(rep.Actions, false) {
		fmt.Fprintf(&readme, "  %s\n", l)
	}
	fmt.Fprintf(&readme, "\nTo see the store as it was, in a copy of the directory (never in the live one):\n")
	fmt.Fprintf(&readme, "  truncate -s OFFSET NAME && cat %s/NAME.from-OFFSET.cut >> NAME   (each cut)\n", filepath.Base(s.path))
	fmt.Fprintf(&readme, "  cp %s/NAME.from-0.cut NAME                                      (each removed segment)\n", filepath.Base(s.path))
	fmt.Fprintf(&readme, "  rm *.idx   (index checkpoints: the next open rebuilds them)\n")
	for name, data := range map[string][]byte{"repair.json": append(js, '\n'), "README.txt": []byte(readme.String())} {
		if err := os.WriteFile(filepath.Join(s.path, name), data, 0o600); err != nil {
			return fmt.Errorf("repair: write %s: %w", name, err)
		}
	}
	return fs.OS().SyncDir(s.path)
}
