package fs

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// procLocksHeld reports whether /proc/locks lists a flock held on name's
// inode (ok is false when it cannot tell). A line reads
//
//	1: FLOCK  ADVISORY  WRITE 4242 08:02:1311 0 EOF
//
// and a waiter's line has "->" after the number: it holds nothing. Only
// the inode number is compared: some file systems (btrfs subvolumes,
// overlays) report another device number in /proc/locks than stat does,
// and a false "held" (another file system's flocked file with the same
// inode number) only makes a report cautious. Locks of processes in
// another PID namespace are not listed; the caller then probes.
func procLocksHeld(name string) (held, ok bool) {
	var st unix.Stat_t
	if err := unix.Stat(name, &st); err != nil {
		return false, false
	}
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false, false
	}
	for line := range bytes.Lines(data) {
		f := bytes.Fields(line)
		if len(f) < 6 || string(f[1]) != "FLOCK" {
			continue
		}
		dev := bytes.Split(f[5], []byte(":"))
		if len(dev) != 3 {
			continue
		}
		if ino, err := strconv.ParseUint(string(dev[2]), 10, 64); err == nil && ino == st.Ino {
			return true, true
		}
	}
	return false, true
}
