package storage

import (
	"io"
	"os"

	"github.com/batpak-go/batpak/storage/fs"
)

// plFS is an fs.FS over an fs.Mem that calls before(op, name) right before
// each operation that can change what a power cut leaves (creating,
// writing, truncating, syncing, removing, renaming, locking), so that a
// test can take a power-loss image between any two operations. Reads do
// not call it. The power-loss tests use it; before may be nil.
type plFS struct {
	mem    *fs.Mem
	before func(op, name string)
}

func (p *plFS) at(op, name string) {
	if p.before != nil {
		p.before(op, name)
	}
}

func (p *plFS) MkdirAll(dir string, perm os.FileMode) error {
	p.at("mkdir", dir)
	return p.mem.MkdirAll(dir, perm)
}

func (p *plFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 {
		p.at("open", name)
	}
	f, err := p.mem.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &plFile{File: f, fs: p, name: name}, nil
}

func (p *plFS) Remove(name string) error {
	p.at("remove", name)
	return p.mem.Remove(name)
}

func (p *plFS) Rename(oldname, newname string) error {
	p.at("rename", oldname)
	return p.mem.Rename(oldname, newname)
}

func (p *plFS) ReadDir(dir string) ([]string, error) { return p.mem.ReadDir(dir) }

func (p *plFS) SyncDir(dir string) error {
	p.at("syncdir", dir)
	return p.mem.SyncDir(dir)
}

func (p *plFS) Lock(name string) (io.Closer, error) {
	p.at("lock", name)
	return p.mem.Lock(name)
}

// plFile is a file of a plFS.
type plFile struct {
	fs.File
	fs   *plFS
	name string
}

func (f *plFile) WriteAt(b []byte, off int64) (int, error) {
	f.fs.at("write", f.name)
	return f.File.WriteAt(b, off)
}

func (f *plFile) Sync() error {
	f.fs.at("sync", f.name)
	return f.File.Sync()
}

func (f *plFile) Truncate(size int64) error {
	f.fs.at("truncate", f.name)
	return f.File.Truncate(size)
}
