package main

import (
	"github.com/batpak-go/batpak/storage"
)

// openRead opens the store in dir for a command that only reads.
//
// Until storage.OpenReadOnly lands (issue 12's read-only access), this
// opens the store normally: it takes the lock and may cut a torn tail.
// Replace the body with storage.OpenReadOnly once it exists.
func openRead(dir string) (*storage.Engine, error) {
	return storage.Open(dir, storage.Options{})
}
