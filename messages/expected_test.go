package messages_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

func TestExpectedVersionCheck(t *testing.T) {
	const maxU64 = ^uint64(0)
	tests := []struct {
		name     string
		expected messages.ExpectedVersion
		current  uint64
		want     bool
	}{
		{name: "any on empty entity", expected: messages.Any(), current: 0, want: true},
		{name: "any on version 1", expected: messages.Any(), current: 1, want: true},
		{name: "any on max version", expected: messages.Any(), current: maxU64, want: true},
		{name: "zero value is any", expected: messages.ExpectedVersion{}, current: 17, want: true},
		{name: "no stream on empty entity", expected: messages.NoStream(), current: 0, want: true},
		{name: "no stream on version 1", expected: messages.NoStream(), current: 1, want: false},
		{name: "no stream on version 9", expected: messages.NoStream(), current: 9, want: false},
		{name: "no stream ignores a stray Version", expected: messages.ExpectedVersion{Mode: messages.ExpectNoStream, Version: 5}, current: 5, want: false},
		{name: "exactly 0 on empty entity", expected: messages.Exactly(0), current: 0, want: true},
		{name: "exactly 0 on version 1", expected: messages.Exactly(0), current: 1, want: false},
		{name: "exactly 1 on empty entity", expected: messages.Exactly(1), current: 0, want: false},
		{name: "exactly 1 on version 1", expected: messages.Exactly(1), current: 1, want: true},
		{name: "exactly 3 on version 2", expected: messages.Exactly(3), current: 2, want: false},
		{name: "exactly 3 on version 3", expected: messages.Exactly(3), current: 3, want: true},
		{name: "exactly 3 on version 4", expected: messages.Exactly(3), current: 4, want: false},
		{name: "exactly max on max", expected: messages.Exactly(maxU64), current: maxU64, want: true},
		{name: "exactly max on max-1", expected: messages.Exactly(maxU64), current: maxU64 - 1, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.expected.Check(tc.current))
		})
	}
}

// Exactly(0) means the same as NoStream(): for every current version they
// agree, though they are different values.
func TestExactlyZeroIsNoStream(t *testing.T) {
	for _, current := range []uint64{0, 1, 2, 100, ^uint64(0)} {
		require.Equal(t, messages.NoStream().Check(current), messages.Exactly(0).Check(current), "current %d", current)
	}
	require.False(t, messages.Exactly(0).IsAny())
	require.False(t, messages.NoStream().IsAny())
}

func TestExpectedVersionConstructors(t *testing.T) {
	tests := []struct {
		name     string
		expected messages.ExpectedVersion
		want     messages.ExpectedVersion
		isAny    bool
		text     string
	}{
		{name: "Any", expected: messages.Any(), want: messages.ExpectedVersion{Mode: messages.ExpectAny}, isAny: true, text: "any"},
		{name: "zero value", expected: messages.ExpectedVersion{}, want: messages.Any(), isAny: true, text: "any"},
		{name: "NoStream", expected: messages.NoStream(), want: messages.ExpectedVersion{Mode: messages.ExpectNoStream}, text: "no stream"},
		{name: "Exactly 0", expected: messages.Exactly(0), want: messages.ExpectedVersion{Mode: messages.ExpectExact, Version: 0}, text: "version 0"},
		{name: "Exactly 42", expected: messages.Exactly(42), want: messages.ExpectedVersion{Mode: messages.ExpectExact, Version: 42}, text: "version 42"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.expected)
			require.Equal(t, tc.isAny, tc.expected.IsAny())
			require.Equal(t, tc.text, tc.expected.String())
		})
	}
}

func TestExpectedVersionUnknownModeNeverHolds(t *testing.T) {
	e := messages.ExpectedVersion{Mode: messages.ExpectMode(9)}
	for _, v := range []uint64{0, 1, 100} {
		require.False(t, e.Check(v), "an unknown mode from a newer peer must not be treated as Any")
	}
	require.False(t, e.IsAny())
}
