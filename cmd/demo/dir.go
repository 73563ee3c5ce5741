package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/batpak-go/batpak/storage/format"
)

// checkpointsDir is the subdirectory of the data directory where the
// demo's projection and reactors keep their checkpoints.
const checkpointsDir = "checkpoints"

// demoDir is a data directory the demo may clear: everything in it belongs
// to a batpak store (its lock, segments, checkpoints and the files the
// engine leaves while writing them), to the demo (its checkpoints
// subdirectory of *.ckpt files and their temporary files) or to -cluster
// (its cluster subdirectory, see checkCluster).
type demoDir struct {
	dir     string
	entries []os.DirEntry // the store's files and the checkpoints directory
	ckpts   []os.DirEntry // the checkpoints directory's files
	cluster bool          // dir holds a cluster subdirectory
}

// scanDemoDir checks that everything in dir belongs to the demo; a
// missing directory is an empty one.
func scanDemoDir(dir string) (demoDir, error) {
	d := demoDir{dir: dir}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	for _, e := range entries {
		switch {
		case e.Name() == checkpointsDir && e.IsDir():
			if d.ckpts, err = os.ReadDir(filepath.Join(dir, checkpointsDir)); err != nil {
				return d, err
			}
			for _, c := range d.ckpts {
				if !c.Type().IsRegular() || !isCheckpointFile(c.Name()) {
					return d, refuse(dir, filepath.Join(checkpointsDir, c.Name()), "a demo checkpoint")
				}
			}
		case e.Name() == clusterDir && e.IsDir():
			if err := checkCluster(dir); err != nil {
				return d, err
			}
			d.cluster = true
			continue
		case !e.Type().IsRegular() || !isStoreFile(e.Name()):
			return d, refuse(dir, e.Name(), "part of a batpak store")
		}
		d.entries = append(d.entries, e)
	}
	return d, nil
}

// refuse is the error for a data directory that holds name, which is not
// what.
func refuse(dir, name, what string) error {
	return fmt.Errorf("refusing to clear %s: %q is not %s (give -dir a new, empty or demo directory)", dir, name, what)
}

// clearStore empties dir for a fresh demo run, but only if everything in it
// belongs to the demo (see demoDir): the demo never deletes a directory that
// holds anything else. The cluster demo's data is left alone. A missing
// directory is fine.
func clearStore(dir string) error {
	d, err := scanDemoDir(dir)
	if err != nil {
		return err
	}
	for _, c := range d.ckpts {
		if err := os.Remove(filepath.Join(dir, checkpointsDir, c.Name())); err != nil {
			return err
		}
	}
	for _, e := range d.entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// isCheckpointFile reports whether name is a projection's or reactor's
// checkpoint (name.ckpt) or one being written (.name.tmp-*).
func isCheckpointFile(name string) bool {
	return strings.HasSuffix(name, ".ckpt") || (strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"))
}

// isStoreFile reports whether name is a file a batpak store keeps in its
// directory.
func isStoreFile(name string) bool {
	if name == "LOCK" || name == "next.seg.prep" {
		return true
	}
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".dropped"), ".tmp")
	if _, ok := format.ParseSegmentName(name); ok {
		return true
	}
	_, ok := format.ParseCheckpointName(name)
	return ok
}
