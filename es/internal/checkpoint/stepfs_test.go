package checkpoint

import (
	"io"
	"os"

	"github.com/batpak-go/batpak/storage/fs"
)

// stepFS is an FS that calls before(op) ahead of each operation that
// changes the file system or syncs it, so that a test can cut the power
// at every step of a Save.
type stepFS struct {
	fs.FS
	before func(op string)
}

func (s *stepFS) MkdirAll(dir string, perm os.FileMode) error {
	s.before("mkdirall " + dir)
	return s.FS.MkdirAll(dir, perm)
}

func (s *stepFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	s.before("open " + name)
	f, err := s.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &stepFile{File: f, fs: s, name: name}, nil
}

func (s *stepFS) Remove(name string) error {
	s.before("remove " + name)
	return s.FS.Remove(name)
}

func (s *stepFS) Rename(oldname, newname string) error {
	s.before("rename " + oldname)
	return s.FS.Rename(oldname, newname)
}

func (s *stepFS) SyncDir(dir string) error {
	s.before("syncdir " + dir)
	return s.FS.SyncDir(dir)
}

func (s *stepFS) Lock(name string) (io.Closer, error) {
	s.before("lock " + name)
	return s.FS.Lock(name)
}

// stepFile is a File of a stepFS.
type stepFile struct {
	fs.File
	fs   *stepFS
	name string
}

func (f *stepFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.before("write " + f.name)
	return f.File.WriteAt(p, off)
}

func (f *stepFile) Sync() error {
	f.fs.before("sync " + f.name)
	return f.File.Sync()
}

func (f *stepFile) Truncate(size int64) error {
	f.fs.before("truncate " + f.name)
	return f.File.Truncate(size)
}

func (f *stepFile) Close() error {
	f.fs.before("close " + f.name)
	return f.File.Close()
}
