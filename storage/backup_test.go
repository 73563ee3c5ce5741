package storage

import (
	"bytes"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
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
		require.ErrorIs(t, err, iofs.ErrExist)
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
	require.ErrorIs(t, err, iofs.ErrNotExist)

	// An empty target directory is fine.
	empty := t.TempDir()
	rep, err := Backup(src, empty, BackupOptions{})
	require.NoError(t, err)
	require.Positive(t, rep.Events)
}

// memStore writes a closed store of 4 KiB segments into a new Mem at
// /data and returns it.
func memStore(t *testing.T, groups int) *fs.Mem {
	t.Helper()
	mem := fs.NewMem()
	o := roOpts()
	o.FS = mem
	require.NoError(t, newROWork(23).writeStore(t, "/data", o, groups).Close())
	return mem
}

// A backup that fails at any file-system operation (the n-th, for every
// n) leaves no file behind and the target directory as it was (absent),
// and never changes the source; one that succeeds despite the failure (a
// failed probe it does without) is a complete copy.
func TestBackupFailureRemovesWhatItCreated(t *testing.T) {
	base := memStore(t, 12)
	before := fzSnapshot(t, base)
	clean := fs.NewFaulty(base.Clone())
	require.NoError(t, clean.MkdirAll("/backup", 0o700))
	want, err := Backup("/data", "/backup/b", BackupOptions{FS: clean})
	require.NoError(t, err)
	total := clean.Ops()
	require.Greater(t, total, int64(20))
	failed := 0
	for n := int64(1); n <= total; n++ {
		mem := base.Clone()
		require.NoError(t, mem.MkdirAll("/backup", 0o700))
		faulty := fs.NewFaulty(mem)
		faulty.FailAt(n, nil)
		rep, err := Backup("/data", "/backup/b", BackupOptions{FS: faulty})
		require.Equal(t, before, fzSnapshot(t, mem), "operation %d (%s) failed: the source changed", n, faulty.LastFault())
		if err == nil { // the same copy (perhaps without checkpoints: one could not be read)
			want.Checkpoints, rep.Checkpoints, rep.Bytes = 0, 0, want.Bytes
			require.Equal(t, want, rep, "operation %d (%s) failed", n, faulty.LastFault())
			continue
		}
		failed++
		_, rerr := mem.ReadDir("/backup/b")
		require.ErrorIs(t, rerr, iofs.ErrNotExist, "operation %d (%s) failed (%v) and the target is left", n, faulty.LastFault(), err)
	}
	require.Greater(t, failed, 20, "of %d operations", total)
}

// A segment whose footer the writer writes while Backup copies it (the
// footer of a segment sealed at rotation comes after the next segment is
// created) is copied again, so that the copy has its footer.
func TestBackupCopiesAFooterWrittenMeanwhile(t *testing.T) {
	mem := memStore(t, 12)
	seg1 := "/data/" + format.SegmentName(1)
	orig, err := mem.ReadFile(seg1)
	require.NoError(t, err)
	end := sealedDataEnd(orig)
	torn := bytes.Clone(orig)
	clear(torn[end : len(torn)-format.TrailerSize]) // the footer not written yet
	require.NoError(t, mem.WriteFile(seg1, torn))
	require.NoError(t, mem.Remove("/data/"+format.CheckpointName(1)))

	written := false
	rep, err := Backup("/data", "/b", BackupOptions{FS: mem, Progress: func(done, total int64) {
		if !written { // after the first piece: segment 1, copied without its footer
			written = true
			require.NoError(t, mem.WriteFile(seg1, orig))
		}
	}})
	require.NoError(t, err)
	require.Greater(t, rep.Bytes, int64(len(orig)), "segment 1 was copied twice")
	cp, err := mem.ReadFile("/b/" + format.SegmentName(1))
	require.NoError(t, err)
	require.Equal(t, orig, cp)
}
