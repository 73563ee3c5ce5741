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

// clearStore empties dir for a fresh demo run, but only if everything in it
// belongs to a batpak store (its lock, segments, checkpoints and the files
// the engine leaves while writing them) or to the demo (its checkpoints
// subdirectory of *.ckpt files and their temporary files): the demo never
// deletes a directory that holds anything else. A missing directory is fine.
func clearStore(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var ckpts []os.DirEntry
	for _, e := range entries {
		if e.Name() == checkpointsDir && e.IsDir() {
			if ckpts, err = os.ReadDir(filepath.Join(dir, checkpointsDir)); err != nil {
				return err
			}
			for _, c := range ckpts {
				if !c.Type().IsRegular() || !isCheckpointFile(c.Name()) {
					return fmt.Errorf("refusing to clear %s: %q is not a demo checkpoint (give -dir a new, empty or demo directory)", dir, filepath.Join(checkpointsDir, c.Name()))
				}
			}
			continue
		}
		if !e.Type().IsRegular() || !isStoreFile(e.Name()) {
			return fmt.Errorf("refusing to clear %s: %q is not part of a batpak store (give -dir a new, empty or demo directory)", dir, e.Name())
		}
	}
	for _, c := range ckpts {
		if err := os.Remove(filepath.Join(dir, checkpointsDir, c.Name())); err != nil {
			return err
		}
	}
	for _, e := range entries {
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
