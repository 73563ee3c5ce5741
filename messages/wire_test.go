package messages_test

import (
	"errors"
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// overTheWire sends msg the way protoactor remote does: RootSerializable
// to *Wire, the proto serializer (id 0) to bytes and back, then
// RootSerialized back to the message.
func overTheWire(t *testing.T, msg remote.RootSerializable) any {
	t.Helper()
	w, err := msg.Serialize()
	require.NoError(t, err)
	b, typeName, err := remote.Serialize(w, 0)
	require.NoError(t, err)
	require.Equal(t, "batpak.messages.Wire", typeName)
	back, err := remote.Deserialize(b, typeName, 0)
	require.NoError(t, err)
	out, err := back.(remote.RootSerialized).Deserialize()
	require.NoError(t, err)
	return out
}

// wireSamples has one populated value of every message type that crosses
// remote, keyed by its wire name.
func wireSamples() map[string]remote.RootSerializable {
	full := &messages.Error{Code: messages.CodeVersionConflict, Message: "order/42 is at version 3, expected 2",
		VersionConflict: &messages.VersionConflictError{Coordinate: coord, Expected: messages.Exactly(2), Actual: 3},
		Batch:           &messages.BatchError{Item: 1, Cause: &messages.Error{Code: messages.CodeDenied, Denial: &messages.DenialError{Denials: messages.Denials{{Gate: "g", Code: "c", Message: "m"}}}}}}
	ev := messages.Event{ID: idA, Sequence: 7, Coordinate: coord, Kind: kindA, Version: 1, CorrelationID: idA, Hash: hashA, Payload: []byte("p"), Metadata: messages.Metadata{"a": "b"}}
	return map[string]remote.RootSerializable{
		"batpak.Append": &messages.Append{Coordinate: coord, Kind: kindA, Payload: []byte{0, 1, 0xff}, CorrelationID: idA, CausationID: idB,
			Expected: messages.Exactly(7), IdempotencyKey: idC, Trace: traceCtx, Metadata: messages.Metadata{"k": "v"}, Bypass: &messages.Bypass{Reason: "r"}},
		"batpak.AppendBatch": &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: coord, Kind: kindA, Payload: []byte("root"), IdempotencyKey: idB, Expected: messages.NoStream()},
			{Coordinate: coord, Kind: kindB, Causation: messages.CausedByItem(0)}}, Trace: traceCtx},
		"batpak.AppendReply":       &messages.AppendReply{Receipt: fullReceipt(1)},
		"batpak.AppendBatchReply":  &messages.AppendBatchReply{Failure: full},
		"batpak.ErrorReply":        &messages.ErrorReply{Failure: full},
		"batpak.ReadStream":        &messages.ReadStream{Coordinate: coord, From: 3, Backward: true, Limit: 10},
		"batpak.ReadQuery":         &messages.ReadQuery{EntityPrefix: "order/", Scope: "s", Kinds: messages.EventKinds{kindA}, FromSeq: 1, BeforeSeq: 9, Limit: 5},
		"batpak.ReadReply":         &messages.ReadReply{Events: messages.Events{ev}, Next: 8},
		"batpak.Notification":      &messages.Notification{Events: messages.Events{ev}},
		"batpak.Gap":               &messages.Gap{FirstMissed: 1 << 33},
		"batpak.Subscribed":        &messages.Subscribed{From: 12},
		"batpak.SubscriptionEnded": &messages.SubscriptionEnded{Err: &messages.Error{Code: messages.CodeWriterStopped, Message: "spent"}},
		"batpak.Undecodable":       &messages.Undecodable{Type: "batpak.Future", Failure: &messages.Error{Code: messages.CodeUnknownMessage}},
	}
}

func TestEveryMessageCrossesRemote(t *testing.T) {
	samples := wireSamples()
	for name, msg := range samples {
		t.Run(name, func(t *testing.T) {
			w, err := msg.Serialize()
			require.NoError(t, err)
			require.Equal(t, name, w.(*messages.Wire).Type, "wire name")
			require.Equal(t, msg, overTheWire(t, msg))
		})
	}
	// This package's names, at least, all have a sample here.
	for _, name := range messages.WireNames() {
		if _, ok := samples[name]; !ok && isMessagesName(name) {
			t.Errorf("wire name %s has no sample in this test", name)
		}
	}
}

// isMessagesName reports whether name is one of this package's wire names
// (other packages register theirs too).
func isMessagesName(name string) bool {
	switch name {
	case "batpak.Append", "batpak.AppendBatch", "batpak.AppendReply", "batpak.AppendBatchReply", "batpak.ErrorReply",
		"batpak.ReadStream", "batpak.ReadQuery", "batpak.ReadReply", "batpak.Notification", "batpak.Gap",
		"batpak.Subscribed", "batpak.SubscriptionEnded", "batpak.Undecodable":
		return true
	}
	return false
}

func TestErrorDetailCrossesRemote(t *testing.T) {
	out := overTheWire(t, wireSamples()["batpak.ErrorReply"]).(*messages.ErrorReply)
	err := out.Err()
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	var vc *messages.VersionConflictError
	require.True(t, errors.As(err, &vc))
	require.Equal(t, uint64(3), vc.Actual)
}

func TestUnknownWireTypeIsUndecodableNotAnError(t *testing.T) {
	out, err := (&messages.Wire{Type: "batpak.FromTheFuture", Body: []byte{0x80}}).Deserialize()
	require.NoError(t, err, "an error would make protoactor drop the connection")
	u, ok := out.(*messages.Undecodable)
	require.True(t, ok, "%T", out)
	require.Equal(t, "batpak.FromTheFuture", u.Type)
	require.ErrorIs(t, u.Failure, messages.ErrUnknownMessage)
}

func TestMalformedWireBodyIsUndecodable(t *testing.T) {
	out, err := (&messages.Wire{Type: "batpak.Append", Body: []byte{0xc1, 0xff}}).Deserialize()
	require.NoError(t, err)
	u, ok := out.(*messages.Undecodable)
	require.True(t, ok, "%T", out)
	require.ErrorIs(t, u.Failure, messages.ErrInvalidArgument)

	out, err = (*messages.Wire)(nil).Deserialize()
	require.NoError(t, err)
	require.IsType(t, &messages.Undecodable{}, out)
}

func TestRegisterWireTwicePanics(t *testing.T) {
	require.Panics(t, func() {
		messages.RegisterWire("batpak.Append", func() remote.RootSerializable { return new(messages.Append) })
	})
}

func TestUndecodableReply(t *testing.T) {
	f := &messages.Error{Code: messages.CodeInvalidArgument, Message: "malformed"}
	require.Same(t, f, (&messages.Undecodable{Type: "batpak.Append", Failure: f}).Reply().Failure)
	err := (&messages.Undecodable{Type: "batpak.X"}).Reply().Err()
	require.ErrorIs(t, err, messages.ErrUnknownMessage)
	require.Contains(t, err.Error(), "batpak.X")
	require.ErrorIs(t, (*messages.Undecodable)(nil).Reply().Err(), messages.ErrUnknownMessage)
}
