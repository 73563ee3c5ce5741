package actors_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
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

// The README's "Logs": a torn tail cut at recovery is a Warn line.
func TestPromiseTornTailIsLogged(t *testing.T) {
	mem := fs.NewMem()
	e, err := storage.Open("/d", storage.Options{FS: mem})
	require.NoError(t, err)
	_, err = e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: kind})
	require.NoError(t, err)
	img := mem.CrashClean() // a kill: the engine was never closed
	names, err := img.ReadDir("/d")
	require.NoError(t, err)
	var seg string
	for _, n := range names {
		if strings.HasSuffix(n, ".seg") && filepath.Base(n) > filepath.Base(seg) {
			seg = n
		}
	}
	require.NotEmpty(t, seg, "segments: %v", names)
	seg = filepath.Join("/d", filepath.Base(seg))
	b, err := img.ReadFile(seg)
	require.NoError(t, err)
	require.NoError(t, img.WriteFile(seg, append(b, 0x40, 0x00, 0x00))) // a partial frame header

	sys := actor.NewActorSystem(actors.SystemLogger(slog.New(slog.DiscardHandler)))
	defer sys.Shutdown()
	logs := newRecords()
	s, err := actors.Spawn(sys, actors.Config{Dir: "/d", Name: "torn", Logger: slog.New(logs),
		Storage: storage.Options{FS: img}})
	require.NoError(t, err)
	defer s.Close(context.Background())
	st, err := s.Stats()
	require.NoError(t, err)
	require.NotEmpty(t, st.Recovery.TornTails, "the test made a torn tail")
	_, attrs, ok := logs.find(slog.LevelWarn, "recovery cut")
	require.True(t, ok, "a torn tail cut is a warning line")
	require.Contains(t, attrs, slog.String("batpak.store", "torn"))
}
