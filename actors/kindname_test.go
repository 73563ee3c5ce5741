package actors

import (
	"context"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// An append's span carries its kind, and the kind's name when
// Config.KindName gives one; a namer that panics costs the name, not the
// writer.
func TestAppendSpanNamesItsKind(t *testing.T) {
	other := messages.MustKind(2, 7)
	f := spawn(t, Config{KindName: func(k messages.EventKind) string {
		switch k {
		case kind:
			return "order.placed"
		case other:
			panic("a namer's bug")
		}
		return ""
	}})
	ctx := context.Background()
	_, err := f.store.Append(ctx, &messages.Append{Coordinate: coord("named"), Kind: kind})
	require.NoError(t, err)
	_, err = f.store.Append(ctx, &messages.Append{Coordinate: coord("named"), Kind: other})
	require.NoError(t, err)
	require.Zero(t, f.store.Restarts())

	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 2)
	k, ok := attrOf(appends[0], "batpak.kind")
	require.True(t, ok)
	require.Equal(t, kind.String(), k.AsString())
	name, ok := attrOf(appends[0], "batpak.kind.name")
	require.True(t, ok)
	require.Equal(t, "order.placed", name.AsString())
	_, ok = attrOf(appends[1], "batpak.kind.name")
	require.False(t, ok, "no name from a panicking namer")
}
