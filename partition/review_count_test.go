package partition_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/partition"
)

// TestRestartWithAnotherCountOwningOnlyNewPartitionsIsRefused: a member
// whose directory holds partitions made for N=6 is restarted with N=8 in
// which it owns only partition 7, a partition that did not exist before.
// Its old partitions (p-0, p-3) are then silently left behind while their
// new owners serve them empty: the restart with another N must be refused
// (ErrPartitionCount), whatever partitions the member owns under it.
func TestRestartWithAnotherCountOwningOnlyNewPartitionsIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	mustStart(t, "a", dir).stop()

	eight := []string{"b", "b", "b", "b", "b", "b", "b", "a"}
	p, startErr := startChild(t, childConfig{Name: "a", Dir: dir, Owners: eight})
	if startErr == "" {
		p.stop()
		t.Fatal("a member whose directory holds partitions of N=6 started with N=8")
	}
	require.Contains(t, startErr, "created for 6 partitions, configured with 8")
	_, err := os.Stat(filepath.Join(dir, "p-7"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing created for the refused configuration")

	// In this process, for the error's type (refused before joining).
	_, err = partition.Start(partition.Config{ClusterName: clusterName, Provider: newFileProvider(registry), Name: "a",
		Owners: eight, Dir: dir, Create: true, System: quietSystem()})
	require.ErrorIs(t, err, partition.ErrPartitionCount)
	var me *partition.MetadataError
	require.ErrorAs(t, err, &me)
	require.Equal(t, 6, me.Got.Partitions)
	require.Equal(t, 8, me.Want.Partitions)
}
