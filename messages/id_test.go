package messages_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"lukechampine.com/blake3"

	"github.com/batpak-go/batpak/messages"
)

func uuidVersion(id messages.ID) byte { return id[6] >> 4 }
func uuidVariant(id messages.ID) byte { return id[8] >> 6 } // 0b10 is RFC 4122/9562

func TestIDFromKey(t *testing.T) {
	tests := []struct {
		name string
		key  messages.ID
		// want pins the derivation: ids written to disk must be derived the
		// same way by every later version, or retries after an upgrade
		// would write duplicates.
		want string
	}{
		{name: "zero key", key: messages.ID{}, want: "9f03e968-81a2-8ccf-aa49-1b38868a5ec0"},
		{name: "v7 key", key: idA, want: "b41cf484-ec7d-899c-bbf3-6736acf4bd49"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := messages.IDFromKey(tc.key)
			require.Equal(t, tc.want, got.String())
			require.Equal(t, got, messages.IDFromKey(tc.key), "deterministic")
			require.Equal(t, byte(8), uuidVersion(got))
			require.Equal(t, byte(0b10), uuidVariant(got))
			require.False(t, got.IsZero())

			// Independent recomputation from the documented scheme:
			// blake3("batpak-idempotency-v1:" || key), first 16 bytes, with
			// the version and variant bits forced.
			sum := blake3.Sum256(append([]byte("batpak-idempotency-v1:"), tc.key[:]...))
			var want messages.ID
			copy(want[:], sum[:16])
			want[6] = want[6]&0x0f | 0x80
			want[8] = want[8]&0x3f | 0x80
			require.Equal(t, want, got)
		})
	}
}

func TestIDFromKeyDistinctAndNeverV7(t *testing.T) {
	const n = 2000
	seen := make(map[messages.ID]messages.ID, 2*n)
	keys := make([]messages.ID, 0, n+2)
	keys = append(keys, messages.ID{}, idA)
	for i := 1; i <= n; i++ {
		var k messages.ID
		binary.BigEndian.PutUint64(k[8:], uint64(i)) // keys differing in one low byte
		keys = append(keys, k)
	}
	for _, k := range keys {
		id := messages.IDFromKey(k)
		prev, dup := seen[id]
		require.False(t, dup, "keys %x and %x give the same id", prev, k)
		seen[id] = k
		require.Equal(t, byte(8), uuidVersion(id))
		require.Equal(t, byte(0b10), uuidVariant(id))
		require.NotEqual(t, k, id, "the derived id is not the key itself")
	}
	// A fresh v7 id can never collide with a derived v8 id: the version
	// nibbles differ.
	for i := 0; i < n; i++ {
		fresh := messages.NewID()
		_, clash := seen[fresh]
		require.False(t, clash)
		derived := messages.IDFromKey(fresh)
		require.NotEqual(t, fresh, derived)
		require.Equal(t, byte(8), uuidVersion(derived))
	}
}

func TestNewID(t *testing.T) {
	const n = 1000
	start := time.Now()
	ids := make([]messages.ID, n)
	for i := range ids {
		ids[i] = messages.NewID()
	}
	end := time.Now()

	seen := make(map[messages.ID]bool, n)
	for i, id := range ids {
		require.False(t, id.IsZero())
		require.Equal(t, byte(7), uuidVersion(id))
		require.Equal(t, byte(0b10), uuidVariant(id))
		require.False(t, seen[id], "duplicate id %v", id)
		seen[id] = true

		// The first 48 bits are the Unix time in milliseconds.
		ms := int64(binary.BigEndian.Uint64(append([]byte{0, 0}, id[:6]...)))
		require.GreaterOrEqual(t, ms, start.Add(-time.Second).UnixMilli())
		require.LessOrEqual(t, ms, end.Add(time.Second).UnixMilli())

		// Time-ordered: the timestamp never goes back within a run.
		if i > 0 {
			require.LessOrEqual(t, bytes.Compare(ids[i-1][:6], id[:6]), 0)
		}
	}
}

func TestIDStringAndParse(t *testing.T) {
	tests := []struct {
		name string
		id   messages.ID
		want string
	}{
		{name: "v7", id: idA, want: "0190f5b0-0000-7000-8000-00000000000a"},
		{name: "v8 derived", id: messages.IDFromKey(idB), want: messages.IDFromKey(idB).String()},
		{name: "all ones", id: messages.ID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, want: "ffffffff-ffff-ffff-ffff-ffffffffffff"},
		{name: "fresh", id: messages.NewID()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.id.String()
			if tc.want != "" {
				require.Equal(t, tc.want, s)
			}
			require.Len(t, s, 36)
			require.Equal(t, strings.ToLower(s), s)

			got, err := messages.ParseID(s)
			require.NoError(t, err)
			require.Equal(t, tc.id, got)

			// 32 hex digits and upper case are accepted too.
			got, err = messages.ParseID(strings.ReplaceAll(s, "-", ""))
			require.NoError(t, err)
			require.Equal(t, tc.id, got)
			got, err = messages.ParseID(strings.ToUpper(s))
			require.NoError(t, err)
			require.Equal(t, tc.id, got)
		})
	}
}

func TestZeroID(t *testing.T) {
	var zero messages.ID
	require.True(t, zero.IsZero())
	require.Equal(t, "", zero.String())
	require.False(t, idA.IsZero())

	// The zero id's canonical text parses back to zero, but "" (its String)
	// does not parse: the zero id does not survive String/ParseID.
	got, err := messages.ParseID("00000000-0000-0000-0000-000000000000")
	require.NoError(t, err)
	require.True(t, got.IsZero())
	_, err = messages.ParseID(zero.String())
	require.Error(t, err)
}

func TestParseIDInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "empty", in: ""},
		{name: "garbage", in: "not-an-id"},
		{name: "too short", in: "0190f5b0-0000-7000-8000-00000000000"},
		{name: "too long", in: "0190f5b0-0000-7000-8000-00000000000aa"},
		{name: "non-hex digit", in: "0190f5b0-0000-7000-8000-00000000000g"},
		{name: "misplaced dash", in: "0190f5b00-000-7000-8000-00000000000a"},
		{name: "31 hex digits", in: strings.Repeat("a", 31)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := messages.ParseID(tc.in)
			require.Error(t, err)
			require.True(t, id.IsZero())
		})
	}
}

func TestHash(t *testing.T) {
	tests := []struct {
		name     string
		hash     messages.Hash
		wantZero bool
		wantText string
	}{
		{name: "zero", hash: messages.Hash{}, wantZero: true, wantText: strings.Repeat("00", 32)},
		{name: "last byte set", hash: messages.Hash{31: 0x01}, wantText: strings.Repeat("00", 31) + "01"},
		{name: "filled", hash: hashA, wantText: "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wantZero, tc.hash.IsZero())
			require.Equal(t, tc.wantText, tc.hash.String())
		})
	}
}
