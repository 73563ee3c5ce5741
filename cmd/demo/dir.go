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

// clearStore empties dir for a fresh demo run, but only if everything in it
// belongs to a batpak store (its lock, segments, checkpoints and the files
// the engine leaves while writing them): the demo never deletes a directory
// that holds anything else. A missing directory is fine.
func clearStore(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isStoreFile(e.Name()) {
			return fmt.Errorf("refusing to clear %s: %q is not part of a batpak store (give -dir a new, empty or demo directory)", dir, e.Name())
		}
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
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
