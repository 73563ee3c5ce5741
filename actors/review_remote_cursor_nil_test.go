package actors_test

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// TestRemoteCursorWithoutSystemOrReader: a remote Cursor made with a nil
// actor system or reader fails its catch-up with ErrInvalidArgument (the
// Cursor stays behind, as after any failed read), never a panic in the
// subscriber that delivers through it.
func TestRemoteCursorWithoutSystemOrReader(t *testing.T) {
	sys := actor.NewActorSystem()
	for _, c := range []*actors.Cursor{
		actors.NewRemoteCursor(nil, actor.NewPID("127.0.0.1:1", "batpak/reader"), storage.Filter{}),
		actors.NewRemoteCursor(sys, nil, storage.Filter{}),
	} {
		_, err := c.Handle(&messages.Gap{FirstMissed: 0}, func(messages.Event) error { return nil })
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		require.True(t, c.Behind())
	}
}
