package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	dir := filepath.Join(t.TempDir(), "data")
	require.NoError(t, run(&out, dir, true))
	require.Contains(t, out.String(), "replayed=true")
	require.Contains(t, out.String(), "version conflict")
	require.Contains(t, out.String(), "hash chains verified: 3 streams, 4 events")
	require.Contains(t, out.String(), "causes of the confirmation, nearest first: mail/1(seq 2) stock/1(seq 1) order/1(seq 0)")
	// A second run on the same directory, not fresh, recovers what is there.
	out.Reset()
	require.NoError(t, run(&out, dir, false))
	require.Contains(t, out.String(), "(4 events recovered)")
	require.Contains(t, out.String(), "hash chains verified: 6 streams, 8 events")
}
