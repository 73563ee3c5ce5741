package main

import (
	"github.com/batpak-go/batpak/storage"
)

// openRead opens the store in dir for a command that reads through the
// engine's index (graph): storage.OpenReadOnly takes no lock and changes
// no file, so it works beside a running writer and on a closed store.
func openRead(dir string) (*storage.Engine, error) {
	return storage.OpenReadOnly(dir, storage.Options{})
}
