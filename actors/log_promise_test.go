package actors_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// The README's "Logs": a stop for good is an Error line and a fanout
// restart a Warn line, each naming the store.
func TestPromiseStopForGoodAndFanoutRestartAreLogged(t *testing.T) {
	sys := actor.NewActorSystem(actors.SystemLogger(slog.New(slog.DiscardHandler)))
	defer sys.Shutdown()
	logs := newRecords()
	s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir(), Name: "logged", Logger: slog.New(logs),
		Policy: supervision.Once()})
	require.NoError(t, err)
	defer s.Close(context.Background())

	got := make(chan any, 4)
	_, _, err = s.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &gapProbe{got: got} }), storage.Filter{}, 0)
	require.NoError(t, err)
	actorstest.CrashFanout(s, "fanout bug")
	select {
	case <-got: // the restarted fanout's gap: the line is written before the restart
	case <-time.After(30 * time.Second):
		t.Fatal("no gap after the fanout crashed")
	}
	_, attrs, ok := logs.find(slog.LevelWarn, "fanout crashed")
	require.True(t, ok, "a fanout restart is a warning line")
	require.Contains(t, attrs, slog.String("batpak.store", "logged"))

	actorstest.CrashWriter(s, "first")
	require.NoError(t, s.Sync(context.Background()))
	actorstest.CrashWriter(s, "second")
	<-s.Done()
	_, attrs, ok = logs.find(slog.LevelError, "stopped for good")
	require.True(t, ok, "a stop for good is an error line")
	require.Contains(t, attrs, slog.String("batpak.store", "logged"))
}

// The README's "Logs": a store that cannot open is an Error line.
func TestPromiseFailedOpenIsLogged(t *testing.T) {
	sys := actor.NewActorSystem(actors.SystemLogger(slog.New(slog.DiscardHandler)))
	defer sys.Shutdown()
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, []byte("x"), 0o600))
	logs := newRecords()
	_, err := actors.Spawn(sys, actors.Config{Dir: notADir, Name: "unopened", Logger: slog.New(logs)})
	require.Error(t, err)
	_, attrs, ok := logs.find(slog.LevelError, "cannot open")
	require.True(t, ok, "a failed open is an error line")
	require.Contains(t, attrs, slog.String("batpak.store", "unopened"))
}

// gapProbe forwards the gaps a subscriber gets.
type gapProbe struct{ got chan<- any }

func (p *gapProbe) Receive(c actor.Context) {
	if g, ok := c.Message().(*messages.Gap); ok {
		p.got <- g
	}
}
