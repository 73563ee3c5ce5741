package partition

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPreparePartitionCreatesMetadata(t *testing.T) {
	pdir := partitionDir(t.TempDir(), 3)
	store, err := preparePartition(pdir, want(3, 8), true)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(pdir, "store"), store)
	b, err := os.ReadFile(filepath.Join(pdir, "partition.json"))
	require.NoError(t, err)
	require.JSONEq(t, `{"format":1,"partitions":8,"partition":3,"hash":"fnv1a64"}`, string(b))
	st, err := os.Stat(filepath.Join(pdir, "partition.json"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	_, err = os.Stat(filepath.Join(pdir, "partition.json.tmp"))
	require.ErrorIs(t, err, os.ErrNotExist)

	// Opening it again with the same configuration is fine.
	_, err = preparePartition(pdir, want(3, 8), true)
	require.NoError(t, err)
}

func TestPreparePartitionRefusesAnotherCount(t *testing.T) {
	pdir := partitionDir(t.TempDir(), 1)
	_, err := preparePartition(pdir, want(1, 4), true)
	require.NoError(t, err)
	_, err = preparePartition(pdir, want(1, 5), true)
	require.ErrorIs(t, err, ErrPartitionCount)
	require.NotErrorIs(t, err, ErrPartitionMismatch)
	var me *MetadataError
	require.ErrorAs(t, err, &me)
	require.Equal(t, 4, me.Got.Partitions)
	require.Equal(t, 5, me.Want.Partitions)
	require.Equal(t, pdir, me.Dir)
	require.Contains(t, err.Error(), "created for 4 partitions, configured with 5")
}

func TestPreparePartitionRefusesMismatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		meta string // partition.json; "" = none
		file string // a file in store/ ("" = none)
	}{
		{"another partition", `{"format":1,"partitions":4,"partition":2,"hash":"fnv1a64"}`, ""},
		{"another hash", `{"format":1,"partitions":4,"partition":1,"hash":"xxhash"}`, ""},
		{"another format", `{"format":2,"partitions":4,"partition":1,"hash":"fnv1a64"}`, ""},
		{"unreadable", `{"format":`, ""},
		{"a store without metadata", "", "0000000001.seg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdir := partitionDir(t.TempDir(), 1)
			require.NoError(t, os.MkdirAll(filepath.Join(pdir, "store"), 0o700))
			if tc.meta != "" {
				require.NoError(t, os.WriteFile(filepath.Join(pdir, "partition.json"), []byte(tc.meta), 0o600))
			}
			if tc.file != "" {
				require.NoError(t, os.WriteFile(filepath.Join(pdir, "store", tc.file), []byte("x"), 0o600))
			}
			_, err := preparePartition(pdir, want(1, 4), true)
			require.ErrorIs(t, err, ErrPartitionMismatch)
			require.NotErrorIs(t, err, ErrPartitionCount)
			var me *MetadataError
			require.ErrorAs(t, err, &me)
			if tc.meta == "" || !json.Valid([]byte(tc.meta)) {
				require.Nil(t, me.Got)
			}
			// Nothing was changed.
			b, rerr := os.ReadFile(filepath.Join(pdir, "partition.json"))
			if tc.meta == "" {
				require.True(t, errors.Is(rerr, os.ErrNotExist))
			} else {
				require.Equal(t, tc.meta, string(b))
			}
		})
	}
}

// TestPreparePartitionAfterACrashBeforeRename: a temporary file left by a
// crash before the rename (and no store yet) is a partition never created:
// it is created now.
func TestPreparePartitionAfterACrashBeforeRename(t *testing.T) {
	pdir := partitionDir(t.TempDir(), 0)
	require.NoError(t, os.MkdirAll(filepath.Join(pdir, "store"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(pdir, "partition.json.tmp"), []byte(`{"form`), 0o600))
	_, err := preparePartition(pdir, want(0, 2), true)
	require.NoError(t, err)
	_, err = preparePartition(pdir, want(0, 2), true)
	require.NoError(t, err)
}
