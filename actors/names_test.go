package actors

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A second store under the same name in one actor system is refused with
// ErrNameTaken, which says to set Config.Name; under its own name it
// spawns.
func TestSecondStoreNeedsItsOwnName(t *testing.T) {
	sys := quietSystem()
	defer sys.Shutdown()
	first, err := Spawn(sys, Config{Dir: t.TempDir()})
	require.NoError(t, err)
	defer first.Close(ctx(t))

	_, err = Spawn(sys, Config{Dir: t.TempDir()})
	require.ErrorIs(t, err, ErrNameTaken)
	require.Contains(t, err.Error(), "Config.Name")

	second, err := Spawn(sys, Config{Dir: t.TempDir(), Name: "second"})
	require.NoError(t, err)
	require.NoError(t, second.Close(ctx(t)))
}
