//go:build unix

package fs

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestFullFsyncFallback checks macOS's sync rule (fullFsync) on any Unix:
// fsync replaces F_FULLFSYNC only when the file system does not implement
// it (ENOTSUP, EINVAL); a real failure such as EIO is returned without a
// weaker retry, and a success is not followed by a second sync.
func TestFullFsyncFallback(t *testing.T) {
	cases := []struct {
		full      error
		wantPlain bool
	}{
		{nil, false},
		{unix.ENOTSUP, true},
		{unix.EINVAL, true},
		{unix.EIO, false},
		{unix.ENOSPC, false},
	}
	for _, c := range cases {
		var fulls, plains []int
		plainErr := unix.EBADF // distinct, to see whose result is returned
		err := fullFsync(7,
			func(fd int) error { fulls = append(fulls, fd); return c.full },
			func(fd int) error { plains = append(plains, fd); return plainErr })
		require.Equal(t, []int{7}, fulls, "F_FULLFSYNC first (%v)", c.full)
		if c.wantPlain {
			require.Equal(t, []int{7}, plains, "fsync after %v", c.full)
			require.ErrorIs(t, err, plainErr, "the fallback's result")
			continue
		}
		require.Empty(t, plains, "no fsync after %v", c.full)
		if c.full == nil {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, c.full)
		}
	}
}

// TestRetryEINTR checks that an interrupted call is repeated until it
// returns something else, and that other errors are not retried.
func TestRetryEINTR(t *testing.T) {
	calls := 0
	err := retryEINTR(func() error {
		calls++
		if calls < 3 {
			return unix.EINTR
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls)

	calls = 0
	err = retryEINTR(func() error { calls++; return unix.EIO })
	require.ErrorIs(t, err, unix.EIO)
	require.Equal(t, 1, calls)
}
