package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// asker is an application actor: on Started it sends msg to the writer
// with ctx.Request and hands the reply it receives to out.
type asker struct {
	writer *actor.PID
	msg    any
	out    chan<- any
}

func (a *asker) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(a.writer, a.msg)
	case *messages.AppendReply, *messages.AppendBatchReply:
		a.out <- m
	}
}

// askFromActor sends msg to the writer from an actor and returns the reply
// that actor received.
func askFromActor(t *testing.T, f *fixture, msg any) any {
	t.Helper()
	out := make(chan any, 1)
	f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &asker{writer: f.store.Writer(), msg: msg, out: out}
	}))
	select {
	case r := <-out:
		return r
	case <-time.After(30 * time.Second): // a failure guard, not a wait
		t.Fatal("no reply")
		return nil
	}
}

// replyErr reads the failure of a reply with Err, and also after a msgpack
// round trip of the reply (a trip to another process).
func replyErr(t *testing.T, reply any) (local, remote error) {
	t.Helper()
	b, err := msgpack.Marshal(reply)
	require.NoError(t, err)
	switch r := reply.(type) {
	case *messages.AppendReply:
		var back messages.AppendReply
		require.NoError(t, msgpack.Unmarshal(b, &back))
		return r.Err(), back.Err()
	case *messages.AppendBatchReply:
		var back messages.AppendBatchReply
		require.NoError(t, msgpack.Unmarshal(b, &back))
		return r.Err(), back.Err()
	}
	t.Fatalf("reply %T", reply)
	return nil, nil
}

// The structured detail of a refusal survives the actors: through
// Store.Append and Store.AppendBatch, in the reply an actor receives, and
// after that reply crossed a process boundary (msgpack).
func TestTypedErrorsThroughTheActors(t *testing.T) {
	f := spawn(t, Config{})
	order := coord("order/42")
	for range 2 {
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: order, Kind: kind})
		require.NoError(t, err)
	}
	noScope := messages.Coordinate{Entity: "stock/7"}
	tests := []struct {
		name  string
		msg   any
		check func(t *testing.T, err error)
	}{
		{"version conflict", &messages.Append{Coordinate: order, Kind: kind, Expected: messages.Exactly(1)}, func(t *testing.T, err error) {
			var vc *storage.VersionConflictError
			require.ErrorAs(t, err, &vc)
			require.Equal(t, &storage.VersionConflictError{Coordinate: order, Expected: messages.Exactly(1), Actual: 2}, vc)
			require.ErrorIs(t, err, messages.ErrVersionConflict)
		}},
		{"bad coordinate", &messages.Append{Coordinate: noScope, Kind: kind}, func(t *testing.T, err error) {
			var ce *messages.CoordinateError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, &messages.CoordinateError{Field: "scope", Reason: "is empty"}, ce)
			require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
		}},
		{"batch with a bad coordinate", &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: order, Kind: kind}, {Coordinate: order, Kind: kind}, {Coordinate: noScope, Kind: kind},
		}}, func(t *testing.T, err error) {
			var be *storage.BatchError
			require.ErrorAs(t, err, &be)
			require.Equal(t, 2, be.Item)
			var ce *messages.CoordinateError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "scope", ce.Field)
			require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
		}},
		{"batch with a failed expected version", &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: order, Kind: kind, Expected: messages.Exactly(2)},
			{Coordinate: coord("stock/7"), Kind: kind, Expected: messages.NoStream()},
			{Coordinate: order, Kind: kind, Expected: messages.Exactly(2)},
		}}, func(t *testing.T, err error) {
			var be *storage.BatchError
			require.ErrorAs(t, err, &be)
			require.Equal(t, 2, be.Item)
			var vc *storage.VersionConflictError
			require.ErrorAs(t, err, &vc)
			require.Equal(t, &storage.VersionConflictError{Coordinate: order, Expected: messages.Exactly(2), Actual: 3}, vc,
				"item 2 saw version 2 plus item 0")
			require.ErrorIs(t, err, messages.ErrVersionConflict)
		}},
		{"batch with an unknown expected-version mode", &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: order, Kind: kind, Expected: messages.ExpectedVersion{Mode: 7}},
		}}, func(t *testing.T, err error) {
			var be *storage.BatchError
			require.ErrorAs(t, err, &be)
			require.Equal(t, 0, be.Item)
			require.ErrorIs(t, err, messages.ErrInvalidBatch)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var viaStore error
			switch m := tc.msg.(type) {
			case *messages.Append:
				_, viaStore = f.store.Append(ctx(t), m)
			case *messages.AppendBatch:
				_, viaStore = f.store.AppendBatch(ctx(t), m)
			}
			t.Run("Store", func(t *testing.T) { tc.check(t, viaStore) })
			local, remote := replyErr(t, askFromActor(t, f, tc.msg))
			t.Run("actor reply", func(t *testing.T) { tc.check(t, local) })
			t.Run("after msgpack", func(t *testing.T) { tc.check(t, remote) })
			require.Equal(t, viaStore, local, "the same error either way")
			require.Equal(t, local, remote, "nothing lost or invented on the wire")
		})
	}
	evs, err := f.store.Stream(order, 1)
	require.NoError(t, err)
	require.Len(t, evs, 2, "nothing refused was written")
}

// A successful reply's Err is a plain nil error: the check the README used
// to show, errors.Is on the reply's error, is false and does not panic.
func TestSuccessfulReplyErrIsPlainNil(t *testing.T) {
	f := spawn(t, Config{})
	for _, msg := range []any{
		&messages.Append{Coordinate: coord("order/1"), Kind: kind, Expected: messages.NoStream()},
		&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: coord("order/2"), Kind: kind}}},
	} {
		reply := askFromActor(t, f, msg)
		local, remote := replyErr(t, reply)
		require.True(t, local == nil, "%T.Err() is a plain nil: %#v", reply, local)
		require.True(t, remote == nil, "after msgpack too: %#v", remote)
		// The old check: the field, a nil *Error, in an error interface.
		var field error
		switch r := reply.(type) {
		case *messages.AppendReply:
			field = r.Failure
		case *messages.AppendBatchReply:
			field = r.Failure
		}
		require.True(t, field != nil, "the trap: a nil *Error in an interface is not nil")
		require.NotPanics(t, func() {
			require.False(t, errors.Is(field, messages.ErrVersionConflict))
		})
	}
}
