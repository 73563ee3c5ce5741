package messages_test

import (
	"runtime"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// An array header claiming 2^31 elements must not make the decoder
// allocate for them (msgpack v5.4.1 would; see lists.go).
func TestHostileListLengthsDecodeSafely(t *testing.T) {
	huge := []byte{0xdd, 0x7f, 0xff, 0xff, 0xff} // array32 of 2^31-1, then nothing
	field := func(name string) []byte {
		b := []byte{0x81, 0xa0 | byte(len(name))}
		return append(append(b, name...), huge...)
	}
	for _, tc := range []struct {
		name string
		data []byte
		v    func() any
	}{
		{"Notification.Events", field("events"), func() any { return new(messages.Notification) }},
		{"AppendBatch.Items", field("items"), func() any { return new(messages.AppendBatch) }},
		{"AppendBatchReply.Receipts", field("receipts"), func() any { return new(messages.AppendBatchReply) }},
		{"ReadReply.Events", field("events"), func() any { return new(messages.ReadReply) }},
		{"ReadQuery.Kinds", field("kinds"), func() any { return new(messages.ReadQuery) }},
		{"Append.Trace", append([]byte{0x81, 0xa5, 't', 'r', 'a', 'c', 'e'}, 0xdf, 0x7f, 0xff, 0xff, 0xff), func() any { return new(messages.Append) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(5, func() {
				require.Error(t, msgpack.Unmarshal(tc.data, tc.v()))
			})
			require.Less(t, allocs, 100.0)
			v := tc.v() // a fresh value: a map already made is reused, not reallocated
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			require.Error(t, msgpack.Unmarshal(tc.data, v))
			runtime.ReadMemStats(&after)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated for a 12-byte input")
		})
	}
}
