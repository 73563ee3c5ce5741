package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// writeBig writes a closed store of about mib MiB in segments of 4 MiB.
func writeBig(t *testing.T, mib int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{SegmentSize: 4 << 20, SyncMode: storage.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 16<<10)
	for i := range mib * 64 {
		payload[0] = byte(i)
		c := messages.Coordinate{Entity: "big", Scope: "test"}
		if _, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A backup stopped part way (its context done) leaves nothing behind: a
// partial copy holds a prefix of the events and opens and verifies as a
// store, so it must not look like a backup.
func TestABackupStoppedPartWayLeavesNothing(t *testing.T) {
	src := writeBig(t, 8)
	dest := filepath.Join(t.TempDir(), "copy")
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("the operator stopped it")
	_, err := storage.Backup(src, dest, storage.BackupOptions{Context: ctx,
		Progress: func(done, _ int64) { cancel(stop) }}) // after the first piece
	if !errors.Is(err, stop) {
		t.Fatalf("err %v, want one wrapping the cause", err)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the destination is left: %v", err)
	}
}

// SIGTERM (or SIGINT) during batpak backup: the partial copy is removed,
// one line says so, and the exit status is 143 (130), as a shell shows a
// command the signal ended.
func TestBinaryBackupInterruptedLeavesNothing(t *testing.T) {
	bin := batpakBin(t)
	src := writeBig(t, 64)
	dest := filepath.Join(t.TempDir(), "copy")
	cmd := exec.Command(bin, "backup", src, dest, "--verify")
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait for the copy to begin: its first segment in the destination.
	first := filepath.Join(dest, "0000000001.seg")
	for {
		if _, err := os.Stat(first); err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("backup ended before it copied: %v %s", err, errb.String())
		case <-time.After(time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	if err == nil {
		t.Skip("the backup finished before the signal came")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("%v, stderr %q: want exit status 143", err, errb.String())
	}
	if !strings.HasPrefix(errb.String(), "batpak: backup stopped") || strings.Count(errb.String(), "\n") != 1 {
		t.Fatalf("stderr %q", errb.String())
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the destination is left: %v", err)
	}
}
