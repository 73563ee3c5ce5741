package main

import (
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/storage"
)

// openWrite opens the store in dir for a command that changes it (import,
// repair): it takes the directory's lock, so it refuses, with exit status
// 1, while a writer (a running application, another batpak) holds it.
func openWrite(cmd, dir string, opts storage.Options) (*storage.Engine, error) {
	e, err := storage.Open(dir, opts)
	if errors.Is(err, storage.ErrLocked) {
		return nil, lockedError(cmd, dir)
	}
	return e, err
}

// lockedError is the refusal of a command that changes the store while a
// writer holds it: exit status 1.
func lockedError(cmd, dir string) error {
	return &statusError{code: ExitError, err: fmt.Errorf(
		"%s: %s is held by a running writer (its LOCK is taken): stop the application or batpak command that has it open, then try again", cmd, dir)}
}
