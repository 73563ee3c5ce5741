package projection_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// WaitFor and State honour ctx's cancellation, not only its deadline: a
// cancelled wait returns ctx's error (context.Canceled), whether ctx was
// cancelled before the call or while the query waits.
func TestWaitForHonoursCancellation(t *testing.T) {
	s := openStore(t, t.TempDir())
	r := spawnTally(t, s, "", 0, 0, nil)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := r.p.WaitFor(gone, 1<<40)
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = r.p.State(gone)
	require.ErrorIs(t, err, context.Canceled)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := r.p.WaitFor(ctx, 1<<40)
		done <- err
	}()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
