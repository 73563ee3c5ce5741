package storage_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
)

// overTheWire is err as a caller in another process sees it: put in a
// reply by the writer (ToError), encoded, decoded, read with Err.
func overTheWire(t *testing.T, err error) error {
	t.Helper()
	b, merr := msgpack.Marshal(&messages.AppendBatchReply{Failure: messages.ToError(err)})
	require.NoError(t, merr)
	var got messages.AppendBatchReply
	require.NoError(t, msgpack.Unmarshal(b, &got))
	return got.Err()
}

// The engine's typed errors keep their detail for errors.As on the engine,
// in a reply, and after a msgpack round trip of that reply; the storage
// names are the messages types.
func TestTypedErrorsThroughTheEngine(t *testing.T) {
	mem := fs.NewMem()
	e, err := storage.Open("/data", storage.Options{FS: mem})
	require.NoError(t, err)
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	kind := messages.MustKind(1, 1)
	for range 2 {
		_, err = e.Append(&messages.Append{Coordinate: order, Kind: kind, Payload: []byte("placed")})
		require.NoError(t, err)
	}
	require.NoError(t, e.Commit())

	t.Run("version conflict", func(t *testing.T) {
		_, err := e.Append(&messages.Append{Coordinate: order, Kind: kind, Expected: messages.NoStream()})
		want := &messages.VersionConflictError{Coordinate: order, Expected: messages.NoStream(), Actual: 2}
		for _, err := range []error{err, messages.ToError(err), overTheWire(t, err)} {
			var vc *storage.VersionConflictError
			require.ErrorAs(t, err, &vc, "%T", err)
			require.Equal(t, want, vc)
			var mvc *messages.VersionConflictError
			require.ErrorAs(t, err, &mvc)
			require.ErrorIs(t, err, messages.ErrVersionConflict)
		}
	})
	t.Run("batch with a bad coordinate", func(t *testing.T) {
		_, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: order, Kind: kind}, {Coordinate: messages.Coordinate{Entity: "stock/7"}, Kind: kind},
		}})
		for _, err := range []error{err, messages.ToError(err), overTheWire(t, err)} {
			var be *storage.BatchError
			require.ErrorAs(t, err, &be, "%T", err)
			require.Equal(t, 1, be.Item)
			var ce *messages.CoordinateError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, &messages.CoordinateError{Field: "scope", Reason: "is empty"}, ce)
			require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
			require.NotErrorIs(t, err, messages.ErrInvalidBatch)
		}
	})
	t.Run("batch repeating a key", func(t *testing.T) {
		key := messages.NewID()
		_, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: order, Kind: kind, IdempotencyKey: key}, {Coordinate: order, Kind: kind, IdempotencyKey: key},
		}})
		for _, err := range []error{err, messages.ToError(err), overTheWire(t, err)} {
			var be *storage.BatchError
			require.ErrorAs(t, err, &be, "%T", err)
			require.Equal(t, 1, be.Item)
			require.ErrorIs(t, err, messages.ErrInvalidBatch)
			require.Contains(t, err.Error(), "idempotency key repeats item 0")
		}
	})
	require.Zero(t, e.Staged(), "the refusals staged nothing")
	require.NoError(t, e.Close())

	t.Run("corruption", func(t *testing.T) {
		e, err := storage.Open("/data", storage.Options{FS: mem})
		require.NoError(t, err)
		evs, err := e.Stream(order, 1)
		require.NoError(t, err)
		require.NoError(t, e.Close())
		first := evs[0]
		path := segmentPath(t, mem, "/data")
		data, err := mem.ReadFile(path)
		require.NoError(t, err)
		data[first.Offset+20] ^= 0x10 // inside the first frame; the footer still covers the segment
		require.NoError(t, mem.WriteFile(path, data))

		e, err = storage.Open("/data", storage.Options{FS: mem})
		require.NoError(t, err)
		defer e.Close()
		_, err = e.Get(first.ID)
		for _, err := range []error{err, messages.ToError(err), overTheWire(t, err)} {
			var ce *storage.CorruptionError
			require.ErrorAs(t, err, &ce, "%T", err)
			require.Equal(t, first.Segment, ce.Segment)
			require.Equal(t, first.Offset, ce.Offset)
			require.NotEmpty(t, ce.Reason)
			require.ErrorIs(t, err, storage.ErrCorrupt)
			require.ErrorIs(t, err, messages.ErrCorrupt)
			require.NotErrorIs(t, err, messages.ErrIO)
		}
	})
}

// segmentPath returns the path of the only segment file in dir.
func segmentPath(t *testing.T, mem *fs.Mem, dir string) string {
	t.Helper()
	names, err := mem.ReadDir(dir)
	require.NoError(t, err)
	var segs []string
	for _, n := range names {
		if strings.HasSuffix(n, ".seg") {
			segs = append(segs, n)
		}
	}
	require.Len(t, segs, 1, "segments in %v", names)
	return dir + "/" + segs[0]
}

// storage.ErrCorrupt matches corruption, locally or from a reply, and
// nothing else.
func TestErrCorruptMatchesCorruptionOnly(t *testing.T) {
	ce := &storage.CorruptionError{Segment: 1, Offset: 2, Reason: "r"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"corruption error", ce, true},
		{"wrapped corruption error", fmt.Errorf("read: %w", ce), true},
		{"the messages sentinel", messages.ErrCorrupt, true},
		{"a reply's corruption", &messages.Error{Code: messages.CodeCorrupt, Message: "bad crc"}, true},
		{"storage.ErrCorrupt itself", storage.ErrCorrupt, true},
		{"i/o error", messages.ErrIO, false},
		{"storage.ErrClosed", storage.ErrClosed, false},
		{"version conflict", &storage.VersionConflictError{}, false},
		{"plain error", errors.New("corrupt"), false},
		{"nil *Error", (*messages.Error)(nil), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, errors.Is(tc.err, storage.ErrCorrupt))
		})
	}
	require.ErrorIs(t, storage.ErrCorrupt, messages.ErrCorrupt)
	require.Equal(t, messages.CodeCorrupt, messages.CodeOf(storage.ErrCorrupt))
}
