package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fullWriter fails every write as a full disk does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// A command whose output cannot be written fails with an I/O error (exit
// status 4) and one line, whatever the command: a verify or a backup that
// says nothing of its failure to report would exit 0.
func TestOutputThatCannotBeWrittenExitsFour(t *testing.T) {
	dir := writeStore(t, 20, 3)
	for _, args := range [][]string{
		{"verify", dir},
		{"verify", dir, "--json"},
		{"stats", dir},
		{"dump", dir},
		{"export", dir},
		{"backup", dir, filepath.Join(t.TempDir(), "copy")},
		{"repair", dir, "--dry-run"},
		{"import", filepath.Join(t.TempDir(), "new")},
		{"--help"},
		{"verify", "--help"},
	} {
		var errb bytes.Buffer
		code := run(args, strings.NewReader(""), fullWriter{}, &errb)
		if code != ExitIO || strings.Count(errb.String(), "\n") != 1 ||
			!strings.HasPrefix(errb.String(), "batpak: ") || !strings.Contains(errb.String(), "no space left on device") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line naming the write error", args, code, errb.String(), ExitIO)
		}
	}
}

// The same as a shell sees it, with stdout on /dev/full.
func TestBinaryOutputToAFullDevice(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	dir := writeStore(t, 20, 3)
	for _, args := range [][]string{{"verify", dir}, {"stats", dir}, {"dump", dir}} {
		r := runBinOut(t, full, args...)
		if r.code != ExitIO || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("%v > /dev/full: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}
