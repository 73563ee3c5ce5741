package messages_test

import (
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
		v    any
	}{
		{"Notification.Events", field("events"), new(messages.Notification)},
		{"AppendBatch.Items", field("items"), new(messages.AppendBatch)},
		{"AppendBatchReply.Receipts", field("receipts"), new(messages.AppendBatchReply)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(5, func() {
				require.Error(t, msgpack.Unmarshal(tc.data, tc.v))
			})
			require.Less(t, allocs, 100.0)
		})
	}
}
