package protopersist_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/batpak-go/batpak/es/protopersist"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// es/README.md's mapping: the actor named n owns the stream
// {EntityPrefix+n, "protoactor"}; event index i is version i+1, and an
// append expects version i (a wrong index is a *PersistError panic that
// unwraps to the store's conflict, nothing written); events are stored as
// google.protobuf.Any. DeleteEvents hides nothing; DeleteSnapshots(n, i)
// removes the snapshots up to index i.
func TestPromiseProviderMapping(t *testing.T) {
	e := startEnv(t, "")
	p := e.provider(t, protopersist.Options{EntityPrefix: "acct/"})
	p.PersistEvent("a", 0, wrapperspb.String("x"))
	p.PersistEvent("a", 1, wrapperspb.String("y"))
	var pe *protopersist.PersistError
	func() {
		defer func() {
			r := recover()
			require.NotNil(t, r, "a wrong index panics")
			var ok bool
			pe, ok = r.(*protopersist.PersistError)
			require.True(t, ok, "%T", r)
		}()
		p.PersistEvent("a", 5, wrapperspb.String("z"))
	}()
	require.ErrorIs(t, pe, messages.ErrVersionConflict)

	c := messages.Coordinate{Entity: "acct/a", Scope: "protoactor"}
	require.Equal(t, c, p.Coordinate("a"))
	var got []string
	for ev, err := range e.store.ReadStream(c, storage.StreamRange{}) {
		require.NoError(t, err)
		require.Equal(t, uint64(len(got)+1), ev.Version, "index i is version i+1")
		var a anypb.Any
		require.NoError(t, proto.Unmarshal(ev.Payload, &a))
		require.Equal(t, "type.googleapis.com/google.protobuf.StringValue", a.TypeUrl)
		var s wrapperspb.StringValue
		require.NoError(t, a.UnmarshalTo(&s))
		got = append(got, s.Value)
	}
	require.Equal(t, []string{"x", "y"}, got, "nothing written by the refused append")

	p.DeleteEvents("a", 1)
	var replayed []string
	p.GetEvents("a", 0, 0, func(m any) { replayed = append(replayed, m.(*wrapperspb.StringValue).Value) })
	require.Equal(t, []string{"x", "y"}, replayed, "DeleteEvents removes and hides nothing")

	p.PersistSnapshot("a", 1, wrapperspb.String("state@1"))
	p.PersistSnapshot("a", 2, wrapperspb.String("state@2"))
	_, idx, ok := p.GetSnapshot("a")
	require.True(t, ok)
	require.Equal(t, 2, idx)
	p.DeleteSnapshots("a", 2)
	_, _, ok = p.GetSnapshot("a")
	require.False(t, ok, "the snapshots up to index 2 are removed")
}
