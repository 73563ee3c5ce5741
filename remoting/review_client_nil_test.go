package remoting_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
)

// TestClientWithoutSystemIsAnError: a Client made with a nil actor system
// (or a nil *Client) answers every call with a typed error, not a panic.
func TestClientWithoutSystemIsAnError(t *testing.T) {
	for _, c := range []*remoting.Client{remoting.NewClient(nil, "127.0.0.1:1", ""), nil} {
		_, err := c.Append(context.Background(), &messages.Append{Coordinate: coord("e"), Kind: kind})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		_, err = c.AppendBatch(context.Background(), &messages.AppendBatch{})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		_, err = c.ReadStream(context.Background(), &messages.ReadStream{Coordinate: coord("e")})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
		_, err = c.ReadQuery(context.Background(), &messages.ReadQuery{})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
	}
}
