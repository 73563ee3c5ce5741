package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// A path that is a file, not a directory, is bad input (exit status 1)
// for every command, as a missing directory is: not an I/O error.
func TestAFileForADirectoryIsBadInputForEveryCommand(t *testing.T) {
	dir := writeStore(t, 5, 2)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("not a store\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := "01a22b49-7d95-74bb-ad9c-9f0587d8daa3"
	for _, args := range [][]string{
		{"verify", file}, {"stats", file}, {"dump", file}, {"tail", file}, {"export", file},
		{"graph", file, "--correlation", id}, {"graph", file, "--event", id},
		{"backup", file, filepath.Join(t.TempDir(), "copy")},
		{"backup", dir, file}, // the destination is a file
		{"repair", file},
	} {
		oneLineErr(t, cli(t, "", args...), ExitError)
	}
}

// A flag value that does not parse is a bad flag value (exit status 1),
// as one out of range is: --from -1 and --limit -1 fail alike.
func TestAFlagValueThatDoesNotParseIsBadInput(t *testing.T) {
	dir := writeStore(t, 5, 2)
	for _, args := range [][]string{
		{"dump", dir, "--limit", "-1"}, // parses, out of range
		{"dump", dir, "--from", "-1"},
		{"dump", dir, "--limit", "many"},
		{"dump", dir, "--limit", "99999999999999999999"},
		{"export", dir, "--from", "x"},
		{"tail", dir, "-n", "x"},
		{"verify", dir, "--max-errors", "x"},
		{"graph", dir, "--event", "x", "--limit", "x"},
		{"import", filepath.Join(t.TempDir(), "new"), "--commit-every", "x"},
	} {
		oneLineErr(t, cli(t, "", args...), ExitError, "--")
	}
	// An unknown flag stays a usage error.
	oneLineErr(t, cli(t, "", "dump", dir, "--frm", "1"), ExitUsage, "unknown flag")
}

// A path that cannot be read for want of permission is bad input (exit
// status 1) for the read commands as for graph and repair, as the storage
// layer reports it (an I/O error wrapping the permission error).
func TestAnUnreadablePathIsBadInput(t *testing.T) {
	err := fmt.Errorf("storage: read %s: %w: %w", "d", messages.ErrIO,
		&fs.PathError{Op: "open", Path: "d", Err: syscall.EACCES})
	if got := exitCode(scanErr(err)); got != ExitError {
		t.Fatalf("exit status %d for %v, want %d", got, err, ExitError)
	}
	if got := exitCode(scanErr(fmt.Errorf("storage: read: %w: %w", messages.ErrIO, syscall.EIO))); got != ExitIO {
		t.Fatalf("exit status %d for EIO, want %d", got, ExitIO)
	}
	if os.Geteuid() == 0 {
		t.Skip("root reads every file: the rest needs another user")
	}
	dir := writeStore(t, 5, 2)
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	for _, c := range []string{"verify", "stats", "dump", "tail", "export"} {
		oneLineErr(t, cli(t, "", c, dir), ExitError, "permission denied")
	}
}
