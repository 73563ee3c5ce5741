package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The events of the store in dir, read through a read-only engine.
func eventsOf(t *testing.T, dir string) []messages.Event {
	t.Helper()
	e, err := storage.OpenReadOnly(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	var evs []messages.Event
	for ev, err := range e.Read(storage.Filter{}) {
		require.NoError(t, err)
		ev.Payload = bytes.Clone(ev.Payload) // the engine's buffers go with it
		evs = append(evs, ev)
	}
	return evs
}

func TestBackupOfAClosedStore(t *testing.T) {
	src, want := writeSegmented(t, 600, 9)
	dst := filepath.Join(t.TempDir(), "copy")
	r := cli(t, "", "backup", src, dst, "--verify")
	require.Equal(t, ExitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "600 events, the last at sequence 599")
	require.Contains(t, r.stdout, "every hash chain verified")
	require.Empty(t, r.stderr, "no progress bar into a buffer")
	require.True(t, equalEvents(want, eventsOf(t, dst)), "the copy holds the store's events")
	v := cli(t, "", "verify", dst)
	require.Equal(t, ExitOK, v.code, v.stdout+v.stderr)
}

// A backup of a store a writer is appending to: the copy opens and
// verifies, holds every event acknowledged before the backup started, and
// is a prefix of what the writer wrote.
func TestBackupWhileAWriterAppends(t *testing.T) {
	src := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(src, storage.Options{SegmentSize: 16 << 10})
	require.NoError(t, err)
	appendEvents(t, e, 0, 300, 5)
	var acked atomic.Int64
	acked.Store(300)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // the writer goes on while the backup runs
		defer close(done)
		for i := 300; ; i += 10 {
			select {
			case <-stop:
				return
			default:
			}
			appendEvents(t, e, i, 10, 5)
			acked.Store(int64(i + 10))
		}
	}()
	before := acked.Load()
	dst := filepath.Join(t.TempDir(), "copy")
	r := cli(t, "", "backup", src, dst)
	close(stop)
	<-done
	require.Equal(t, ExitOK, r.code, r.stderr)

	got := eventsOf(t, dst)
	require.GreaterOrEqual(t, int64(len(got)), before, "every event acknowledged before the backup started")
	require.NoError(t, e.Close())
	all := eventsOf(t, src)
	require.True(t, equalEvents(all[:len(got)], got), "a prefix of the writer's log")
	v := cli(t, "", "verify", dst)
	require.Equal(t, ExitOK, v.code, v.stdout+v.stderr)
	require.NotContains(t, v.stdout, "torn", "the copy ends at a commit")
}

func TestBackupBadInput(t *testing.T) {
	src, _ := writeSegmented(t, 20, 3)
	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o600))
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"not empty", []string{src, full}, ExitError, "not empty"},
		{"missing source", []string{filepath.Join(t.TempDir(), "missing"), filepath.Join(t.TempDir(), "c")}, ExitError, "not a store"},
		{"not a store", []string{t.TempDir(), filepath.Join(t.TempDir(), "c")}, ExitError, "not a store"},
		{"one argument", []string{src}, ExitUsage, "accepts 2 arg(s)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, "", append([]string{"backup"}, c.args...)...)
			require.Equal(t, c.code, r.code, r.stderr)
			require.Contains(t, r.stderr, c.msg)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
			require.Empty(t, r.stdout)
		})
	}
	names, err := os.ReadDir(full)
	require.NoError(t, err)
	require.Len(t, names, 1, "a refused backup leaves the destination alone")
}

// equalEvents reports whether a and b hold the same events (compared in
// full, reported short).
func equalEvents(a, b []messages.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.Hash != y.Hash || x.Sequence != y.Sequence || !bytes.Equal(x.Payload, y.Payload) ||
			x.Coordinate != y.Coordinate || x.Version != y.Version || x.Segment != y.Segment || x.Offset != y.Offset {
			return false
		}
	}
	return true
}
