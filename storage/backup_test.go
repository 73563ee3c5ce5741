package storage

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// progressLog records Backup's progress calls and checks them as they come.
type progressLog struct {
	t           *testing.T
	calls       int
	done, total int64
}

func (p *progressLog) record(done, total int64) {
	if done < p.done || done > total {
		p.t.Errorf("progress %d/%d after %d/%d", done, total, p.done, p.total)
	}
	p.calls++
	p.done, p.total = done, total
}

// A backup of a closed store, in every recovery state, leaves the source
// as it was and opens with Open (no repair, no torn tail, no discarded
// batch: it ends at a commit boundary) holding exactly the events a
// read-only open of the source sees, and verifies.
func TestBackupOfAClosedStore(t *testing.T) {
	for _, st := range roStores() {
		t.Run(st.name, func(t *testing.T) {
			src := t.TempDir()
			st.build(t, src)
			before := hashDir(t, src)
			ro, err := OpenReadOnly(src, Options{})
			require.NoError(t, err)
			want := allEvents(t, ro)
			require.NoError(t, ro.Close())

			dst := filepath.Join(t.TempDir(), "copy", "of", "store")
			prog := &progressLog{t: t}
			rep, err := Backup(src, dst, BackupOptions{Progress: prog.record, Verify: true})
			require.NoError(t, err)
			require.Equal(t, before, hashDir(t, src), "Backup changed the source")
			require.True(t, rep.Verified)
			require.Equal(t, len(want), rep.Events)
			require.Equal(t, want[len(want)-1].Sequence, rep.LastSequence)
			require.Positive(t, rep.Segments)
			require.Positive(t, prog.calls)
			require.Equal(t, rep.Bytes, prog.done)
			require.Equal(t, prog.done, prog.total)
			if st.name == "closed" {
				require.Positive(t, rep.Checkpoints)
			}
			_, err = os.Stat(filepath.Join(dst, lockName))
			require.NoError(t, err)

			e, err := Open(dst, Options{})
			require.NoError(t, err)
			defer e.Close()
			rec := e.Stats().Recovery
			require.Empty(t, rec.TornTails)
			require.Zero(t, rec.DiscardedBatches)
			require.Empty(t, rec.CheckpointsIgnored)
			require.Equal(t, want, allEvents(t, e))
			vr, err := e.Verify()
			require.NoError(t, err)
			require.Equal(t, len(want), vr.Events)
		})
	}
}

// A backup of a store a writer keeps appending to (rotating 4 KiB
// segments; written groups visible before they are acknowledged) opens
// with Open, verifies, and holds a prefix of the writer's log that ends at
// a commit boundary and includes every event acknowledged before Backup
// started.
func TestBackupOfALiveStore(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      Options
		pipelined bool
	}{
		{name: "commit", opts: roOpts()},
		{name: "pipelined, preallocated", opts: Options{SegmentSize: 8 << 10, Preallocate: 4 << 10}, pipelined: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			w := newROWork(21)
			w.pipelined = tc.pipelined
			e := w.writeStore(t, src, tc.opts, 30)
			var quit atomic.Bool
			writer := make(chan error, 1)
			go func() {
				var err error
				for err == nil && !quit.Load() {
					err = w.group(e)
				}
				if err == nil {
					err = w.flush(e)
				}
				writer <- err
			}()
			type taken struct {
				dir   string
				rep   BackupReport
				acked int // acknowledged before the backup started
			}
			var backups []taken
			for i := range 3 {
				b := taken{dir: filepath.Join(t.TempDir(), "b"), acked: w.ackedCount()}
				var err error
				b.rep, err = Backup(src, b.dir, BackupOptions{Verify: i == 0})
				if err != nil {
					quit.Store(true)
					<-writer
					require.NoError(t, err)
				}
				backups = append(backups, b)
			}
			quit.Store(true)
			require.NoError(t, <-writer)
			require.NoError(t, e.Close())

			for _, b := range backups {
				require.GreaterOrEqual(t, b.rep.Events, b.acked, "an event acknowledged before the backup is not in it")
				requireCommitBoundary(t, w, b.rep.Events)
				c, err := Open(b.dir, Options{})
				require.NoError(t, err)
				evs := allEvents(t, c)
				require.Equal(t, w.acked[:b.rep.Events], ids(evs))
				require.Equal(t, evs[len(evs)-1].Sequence, b.rep.LastSequence)
				require.Empty(t, c.Stats().Recovery.TornTails)
				_, err = c.Verify()
				require.NoError(t, err)
				require.NoError(t, c.Close())
				t.Logf("backup of %d events (%d acknowledged before), %d segments, %d bytes", b.rep.Events, b.acked, b.rep.Segments, b.rep.Bytes)
			}
		})
	}
}

// Backup refuses a target that is not empty (also the source itself) and
// a source that is not a store, and creates nothing then.
func TestBackupRefuses(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, newROWork(22).writeStore(t, src, roOpts(), 5).Close())
	before := hashDir(t, src)

	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o600))
	for _, dst := range []string{full, src} {
		_, err := Backup(src, dst, BackupOptions{})
		require.ErrorIs(t, err, fs.ErrExist)
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
	}
	require.Equal(t, before, hashDir(t, src))
	names, err := os.ReadDir(full)
	require.NoError(t, err)
	require.Len(t, names, 1)

	dst := filepath.Join(t.TempDir(), "new")
	_, err = Backup(filepath.Join(src, "missing"), dst, BackupOptions{})
	require.ErrorIs(t, err, ErrNotStore)
	_, err = os.Stat(dst)
	require.ErrorIs(t, err, fs.ErrNotExist)

	// An empty target directory is fine.
	empty := t.TempDir()
	rep, err := Backup(src, empty, BackupOptions{})
	require.NoError(t, err)
	require.Positive(t, rep.Events)
}
