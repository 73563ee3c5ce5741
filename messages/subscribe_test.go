package messages_test

import (
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

var subscriber = messages.ActorRef{Address: "127.0.0.1:7001", ID: "$12/relay"}

// subscribeSamples has one populated value of every subscription message
// that crosses remote, keyed by its wire name.
func subscribeSamples() map[string]remote.RootSerializable {
	return map[string]remote.RootSerializable{
		"batpak.Subscribe": &messages.Subscribe{Subscriber: subscriber, EntityPrefix: "order/", Scope: "tenant-7",
			Kinds: messages.EventKinds{kindA, kindB}, Capacity: 64},
		"batpak.SubscribeReply": &messages.SubscribeReply{From: 1 << 40,
			Failure: &messages.Error{Code: messages.CodeInvalidArgument, Message: "capacity"}},
		"batpak.Unsubscribe":     &messages.Unsubscribe{Subscriber: subscriber},
		"batpak.SubscriptionAck": &messages.SubscriptionAck{Subscriber: subscriber, Handled: 1<<33 + 5, Gaps: 3},
	}
}

func TestSubscribeMessagesCrossRemote(t *testing.T) {
	for name, msg := range subscribeSamples() {
		t.Run(name, func(t *testing.T) {
			w, err := msg.Serialize()
			require.NoError(t, err)
			require.Equal(t, name, w.(*messages.Wire).Type, "wire name")
			require.Equal(t, msg, overTheWire(t, msg))
		})
	}
	names := messages.WireNames()
	for name := range subscribeSamples() {
		require.Contains(t, names, name, "registered")
	}
}

func TestSubscribeReplyErrCrossesRemote(t *testing.T) {
	out := overTheWire(t, &messages.SubscribeReply{Failure: messages.ToError(
		(&messages.Subscribe{Subscriber: subscriber, Capacity: -1}).Validate())}).(*messages.SubscribeReply)
	require.ErrorIs(t, out.Err(), messages.ErrInvalidArgument)
	require.NoError(t, (&messages.SubscribeReply{From: 3}).Err())
	require.ErrorIs(t, (*messages.SubscribeReply)(nil).Err(), messages.ErrInvalidArgument)
}

func TestSubscribeValidate(t *testing.T) {
	ok := messages.Subscribe{Subscriber: subscriber}
	tests := []struct {
		name string
		edit func(*messages.Subscribe)
		want error // nil: valid
	}{
		{"no filter, default capacity", func(*messages.Subscribe) {}, nil},
		{"full filter, largest capacity", func(s *messages.Subscribe) {
			s.EntityPrefix, s.Scope, s.Kinds, s.Capacity = "order/", "shop", messages.EventKinds{kindA}, messages.MaxSubscribeCapacity
		}, nil},
		{"no subscriber id", func(s *messages.Subscribe) { s.Subscriber.ID = "" }, messages.ErrInvalidArgument},
		{"no subscriber address", func(s *messages.Subscribe) { s.Subscriber.Address = "" }, messages.ErrInvalidArgument},
		{"negative capacity", func(s *messages.Subscribe) { s.Capacity = -1 }, messages.ErrInvalidArgument},
		{"capacity over the largest", func(s *messages.Subscribe) { s.Capacity = messages.MaxSubscribeCapacity + 1 }, messages.ErrInvalidArgument},
		{"prefix with NUL", func(s *messages.Subscribe) { s.EntityPrefix = "a\x00" }, messages.ErrInvalidCoordinate},
		{"scope too long", func(s *messages.Subscribe) { s.Scope = strings.Repeat("s", messages.MaxCoordinateBytes+1) }, messages.ErrInvalidCoordinate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	require.ErrorIs(t, (*messages.Subscribe)(nil).Validate(), messages.ErrInvalidArgument)
}

// FuzzDecodeSubscribeMessages decodes arbitrary bodies as each
// subscription message off the wire: never a panic nor an error (an
// undecodable body is an *Undecodable).
func FuzzDecodeSubscribeMessages(f *testing.F) {
	names := []string{"batpak.Subscribe", "batpak.SubscribeReply", "batpak.Unsubscribe", "batpak.SubscriptionAck"}
	for i, name := range names {
		w, err := subscribeSamples()[name].Serialize()
		require.NoError(f, err)
		f.Add(uint8(i), w.(*messages.Wire).Body)
	}
	f.Add(uint8(0), []byte{0xc1})
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		out, err := (&messages.Wire{Type: names[int(pick)%len(names)], Body: body}).Deserialize()
		require.NoError(t, err)
		require.NotNil(t, out)
	})
}
