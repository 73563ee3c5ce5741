package actors_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// records is a slog handler that keeps what it is given.
type records struct {
	mu    sync.Mutex
	attrs []slog.Attr
	out   *[]slog.Record
	all   *[][]slog.Attr
}

func newRecords() *records { return &records{out: new([]slog.Record), all: new([][]slog.Attr)} }

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.out = append(*r.out, rec)
	*r.all = append(*r.all, r.attrs)
	return nil
}
func (r *records) WithAttrs(a []slog.Attr) slog.Handler {
	return &records{attrs: append(append([]slog.Attr(nil), r.attrs...), a...), out: r.out, all: r.all}
}
func (r *records) WithGroup(string) slog.Handler { return r }

// find returns the first record at level whose message contains text, and
// the attributes of its logger.
func (r *records) find(level slog.Level, text string) (slog.Record, []slog.Attr, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, rec := range *r.out {
		if rec.Level == level && strings.Contains(rec.Message, text) {
			return rec, (*r.all)[i], true
		}
	}
	return slog.Record{}, nil, false
}

// The store logs to Config.Logger: an info line when it opens, an error
// when the writer crashes and a warning when it is restarted, each naming
// the store.
func TestStoreLogsToConfigLogger(t *testing.T) {
	sys := actor.NewActorSystem(actors.SystemLogger(slog.New(slog.DiscardHandler)))
	defer sys.Shutdown()
	logs := newRecords()
	s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir(), Name: "logged", Logger: slog.New(logs)})
	require.NoError(t, err)
	defer s.Close(context.Background())
	_, attrs, ok := logs.find(slog.LevelInfo, "opened")
	require.True(t, ok, "an info line at open")
	require.Contains(t, attrs, slog.String("batpak.store", "logged"))

	actorstest.CrashWriter(s, "boom")
	_, err = s.Append(context.Background(), &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: kind})
	require.NoError(t, err)
	rec, attrs, ok := logs.find(slog.LevelError, "crashed")
	require.True(t, ok, "the crash is an error line")
	require.Contains(t, attrs, slog.String("batpak.store", "logged"))
	var panicked string
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "panic" {
			panicked = a.Value.String()
		}
		return true
	})
	require.Equal(t, "boom", panicked)
	_, _, ok = logs.find(slog.LevelWarn, "restarted")
	require.True(t, ok, "the restart is a warning line")
}

// By default the store is quiet while it works and never silent about a
// failure: DefaultLogger passes warnings and errors to slog's default
// handler, not info lines; SystemLogger gives protoactor's lines to a
// logger of the application's choice.
func TestDefaultLoggerIsQuietButNotSilent(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)

	l := actors.DefaultLogger().With("batpak.store", "s")
	l.Info("opened")
	l.Warn("restarted")
	l.WithGroup("g").Error("crashed", "panic", "boom")
	out := buf.String()
	require.NotContains(t, out, "opened")
	require.Contains(t, out, "restarted")
	require.Contains(t, out, "batpak.store=s")
	require.Contains(t, out, "g.panic=boom")

	quiet := slog.New(slog.DiscardHandler)
	sys := actor.NewActorSystem(actors.SystemLogger(quiet))
	defer sys.Shutdown()
	require.Same(t, quiet, sys.Logger())
}
