package partition

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// TestFrontAnswersNilRequests: the front actor a partition's identity
// resolves to (Cluster().Get(Identity(k), Kind), public) answers a nil
// request with a typed error, as the store's own actors do, instead of
// panicking and leaving the sender to its timeout.
func TestFrontAnswersNilRequests(t *testing.T) {
	m := localMember(t, []string{"a"}, "a", actors.Config{})
	pid := m.Cluster().Get(Identity(0), Kind)
	require.NotNil(t, pid)
	for _, msg := range []any{(*messages.Append)(nil), (*messages.AppendBatch)(nil), (*messages.ReadStream)(nil),
		(*messages.ReadQuery)(nil), (*messages.ReadCorrelation)(nil)} {
		res, err := m.sys.Root.RequestFuture(pid, msg, 5*time.Second).Result()
		require.NoError(t, err, "%T", msg)
		e, ok := res.(interface{ Err() error })
		require.True(t, ok, "%T answered with %T", msg, res)
		require.ErrorIs(t, e.Err(), messages.ErrInvalidArgument, "%T", msg)
	}
}
