package main

import (
	"fmt"
	"os"
)

// checkImportDir refuses to import into a directory that holds files but
// no store (neither a LOCK file nor a segment file): the engine would
// create a store among them. A missing or empty directory gets a new
// store; anything else is left to the engine's open to report.
func checkImportDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return nil
	}
	for _, en := range entries {
		if en.Name() == "LOCK" || isSegment(en.Name()) {
			return nil
		}
	}
	return fmt.Errorf("import: %s is not a store: it holds other files (%s...) but no LOCK or segment file; give a new or empty directory, or a store", dir, entries[0].Name())
}
