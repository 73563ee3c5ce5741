package messages_test

import (
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// Keys are stable for equal parts, distinct for long names that share
// their first 16 bytes, and distinct when only the parts' boundaries
// differ.
func TestKeyOf(t *testing.T) {
	long := strings.Repeat("order/", 5)
	require.Equal(t, messages.KeyOf("desk", "1"), messages.KeyOf("desk", "1"))
	require.NotEqual(t, messages.KeyOf(long+"1"), messages.KeyOf(long+"2"))
	require.NotEqual(t, messages.KeyOf("ab", "c"), messages.KeyOf("a", "bc"))
	require.NotEqual(t, messages.KeyOf("a"), messages.KeyOf("a", ""))
	require.False(t, messages.KeyOf().IsZero(), "never the zero id, which means no key")
}
