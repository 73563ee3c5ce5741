package projection_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/es/internal/killtest"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/stretchr/testify/require"
)

const killChildDir = "BATPAK_PROJ_KILL_DIR"

// A process kill: the test binary runs again as a child that appends from
// four goroutines while a projection checkpoints every 7 events; once it
// has written a few checkpoints the test SIGKILLs it (no clean stop, no
// last checkpoint), reopens the store from the same directory and spawns
// the projection again: it resumes from its checkpoint and ends equal to a
// full replay.
func TestProcessKillResumesFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	killtest.KillWhen(t, "TestProjectionKillChild", killChildDir, dir, "checkpoints %d", 20)

	s := openStore(t, filepath.Join(dir, "store"))
	r := spawnTally(t, s, filepath.Join(dir, "proj"), 7, 0, nil)
	rec := r.p.Recovery()
	require.True(t, rec.Resumed, "%+v", rec)
	require.NoError(t, rec.Ignored)
	require.Positive(t, rec.From)
	last := deposit(t, s, 5000, 10)
	got, _, err := r.p.WaitFor(tctx(t), last.Sequence)
	require.NoError(t, err)
	want, _ := replay(t, s)
	require.Equal(t, want, got)
	require.Less(t, r.applied.Load(), int64(want.Count), "resumed, not rebuilt")
	t.Logf("resumed from %d; applied %d of %d after the kill", rec.From, r.applied.Load(), want.Count)
}

// TestProjectionKillChild is the process TestProcessKillResumesFromCheckpoint
// kills; it does nothing on its own.
func TestProjectionKillChild(t *testing.T) {
	dir := os.Getenv(killChildDir)
	if dir == "" {
		t.Skip("the child process of TestProcessKillResumesFromCheckpoint")
	}
	s := openStore(t, filepath.Join(dir, "store"))
	p, err := projection.Spawn(s, projection.Config[tally]{Name: "tally", Filter: deposits, Initial: newTally,
		Apply: applyTally, Dir: filepath.Join(dir, "proj"), Every: 7, Logger: quietLogger()})
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i += 4 {
				deposit(t, s, i, 1)
				mu.Lock()
				fmt.Printf("checkpoints %d\n", p.Checkpoints())
				mu.Unlock()
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	<-ctx.Done()
	t.Fatal("not killed in time")
}
