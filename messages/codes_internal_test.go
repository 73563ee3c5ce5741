package messages

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Every code has a name, and every code but CodeUnknown and the deprecated
// CodeShuttingDown (never sent: a closing store answers CodeClosed) has
// exactly one sentinel in the list CodeOf searches.
func TestCodeTablesComplete(t *testing.T) {
	last := CodeOutcomeUnknown
	require.Len(t, codeNames, int(last)+1)
	for c := CodeUnknown; c <= last; c++ {
		require.NotEmpty(t, codeNames[c], "code %d", c)
	}
	count := map[ErrorCode]int{}
	for _, s := range sentinels {
		count[s.Code]++
		require.Empty(t, s.Message)
	}
	for c := CodeUnknown + 1; c <= last; c++ {
		if c == CodeShuttingDown {
			continue
		}
		require.Equal(t, 1, count[c], "sentinels for %v", c)
	}
	require.Zero(t, count[CodeUnknown])
	require.Zero(t, count[CodeShuttingDown])
	require.Len(t, sentinels, int(last)-1)
}
