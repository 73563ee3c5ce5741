//go:build unix && !linux

package fs

// procLocksHeld cannot tell outside Linux.
func procLocksHeld(string) (held, ok bool) { return false, false }
