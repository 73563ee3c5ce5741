package partition

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
)

// openAs opens the partitions name owns in dir, as Start does before it
// joins the cluster, then closes them; it returns how many it opened.
func openAs(t *testing.T, dir string, owners []string, name string, create bool) (int, error) {
	t.Helper()
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	cfg := Config{ClusterName: "missing", Owners: owners, Name: name, Dir: dir, Create: create, System: sys}.withDefaults()
	m := &Member{cfg: cfg, n: len(owners), sys: sys, stores: map[int]*actors.Store{}}
	err := m.openPartitions()
	require.NoError(t, m.closeLocal(context.Background()))
	return len(m.stores), err
}

// Without Config.Create, an owned partition without its directory is
// refused (ErrPartitionMissing) and nothing is created: a partition moved
// in Owners but not on disk does not start empty on its new owner. With
// Create it is made; a restart then finds it without Create.
func TestMissingPartitionIsRefusedWithoutCreate(t *testing.T) {
	dir := t.TempDir()
	owners := []string{"a", "b"}
	_, err := openAs(t, dir, owners, "a", false)
	require.ErrorIs(t, err, ErrPartitionMissing)
	var me *MetadataError
	require.ErrorAs(t, err, &me)
	require.True(t, me.Missing)
	_, serr := os.Stat(filepath.Join(dir, "p-0"))
	require.ErrorIs(t, serr, os.ErrNotExist, "nothing created")

	opened, err := openAs(t, dir, owners, "a", true)
	require.NoError(t, err)
	require.Equal(t, 1, opened)

	_, err = openAs(t, dir, owners, "a", false)
	require.NoError(t, err, "a restart needs no Create")

	// Partition 1 handed to a in the configuration, its directory left on b.
	_, err = openAs(t, dir, []string{"a", "a"}, "a", false)
	require.ErrorIs(t, err, ErrPartitionMissing)
	_, serr = os.Stat(filepath.Join(dir, "p-1"))
	require.ErrorIs(t, serr, os.ErrNotExist)

	// An empty directory left by a creation cut short is not a partition.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "p-1"), 0o755))
	_, err = openAs(t, dir, []string{"a", "a"}, "a", false)
	require.ErrorIs(t, err, ErrPartitionMissing)
	_, err = openAs(t, dir, []string{"a", "a"}, "a", true)
	require.NoError(t, err, "Create finishes it")
}
