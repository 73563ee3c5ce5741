package remoting_test

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// errorReply checks that r is an answered *messages.ErrorReply and
// returns its error.
func errorReply(t *testing.T, r result) error {
	t.Helper()
	require.Empty(t, r.Err, "the request was not answered")
	rep, ok := r.reply(t).(*messages.ErrorReply)
	require.True(t, ok, "reply %s", r.Type)
	require.Error(t, rep.Err())
	return rep.Err()
}

// Messages the store cannot handle, sent from node B to its writer and
// its reader, are answered with a typed ErrorReply, and node A keeps
// working: a batpak message of a type unknown to the receiver
// (ErrUnknownMessage), a plain protobuf message the actors do not handle
// (ErrUnknownMessage), a batpak message whose body does not decode
// (ErrInvalidArgument).
func TestRemoteUndecodableMessagesGetTypedErrors(t *testing.T) {
	t.Parallel()
	a, b := storeOnA(t, actors.Config{}), spawnChild(t, childConfig{})
	for _, pid := range []*actor.PID{a.writer(), a.reader()} {
		err := errorReply(t, b.do(t, command{Op: "ask", Addr: pid.Address, ID: pid.Id, Raw: true, Type: "batpak.Nope", Body: []byte{0x80}}))
		require.ErrorIs(t, err, messages.ErrUnknownMessage)
		require.Contains(t, err.Error(), "batpak.Nope")

		err = errorReply(t, b.do(t, command{Op: "ask", Addr: pid.Address, ID: pid.Id, Proto: "hello"}))
		require.ErrorIs(t, err, messages.ErrUnknownMessage)

		err = errorReply(t, b.do(t, command{Op: "ask", Addr: pid.Address, ID: pid.Id, Raw: true, Type: "batpak.Append", Body: []byte{0xc1}}))
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		require.Contains(t, err.Error(), "malformed batpak.Append")
	}
	r := b.appendTo(t, a, &messages.Append{Coordinate: coord("still"), Kind: kind})
	require.NoError(t, r.Err())
	require.Equal(t, 1, a.events(t))
	require.Equal(t, 0, a.store.Restarts())
}
