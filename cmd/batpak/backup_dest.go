package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkDestOutside refuses a backup destination inside the store it copies
// (the store itself, or a directory in it): the backup would change the
// store it must leave alone. Both paths are compared as the file system
// resolves them (symbolic links followed; for a destination that does not
// exist yet, its nearest existing ancestor). A path that cannot be resolved
// is left to the backup itself to report.
func checkDestOutside(src, dest string) error {
	s, err := resolved(src)
	if err != nil {
		return nil
	}
	d, err := resolved(dest)
	if err != nil {
		return nil
	}
	rel, err := filepath.Rel(s, d)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil
	}
	return fmt.Errorf("backup: %s is inside the store %s: a backup must not change the store it copies; give a directory outside it", dest, src)
}

// resolved returns p absolute with its symbolic links followed; the part
// of p that does not exist yet is kept as given (cleaned).
func resolved(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if _, err := os.Lstat(dir); err == nil {
			real, err := filepath.EvalSymlinks(dir)
			if err != nil {
				return "", err
			}
			return filepath.Join(real, rest), nil
		}
		if dir == filepath.Dir(dir) {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}
