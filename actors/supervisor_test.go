package actors

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// holdEnd is a span processor that holds the end of every span named name
// until release is closed, telling ending first: while it holds, the span
// has begun to end but no later processor (the recorder) has it.
type holdEnd struct {
	name    string
	ending  chan struct{}
	release chan struct{}
	once    sync.Once
}

// free lets the held spans end.
func (h *holdEnd) free() { h.once.Do(func() { close(h.release) }) }

func (h *holdEnd) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (h *holdEnd) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.Name() == h.name {
		h.ending <- struct{}{}
		<-h.release
	}
}
func (h *holdEnd) Shutdown(context.Context) error   { return nil }
func (h *holdEnd) ForceFlush(context.Context) error { return nil }

// spawnHolding spawns a store whose spans named name are held at their end.
func spawnHolding(t *testing.T, cfg Config, name string) (*fixture, *holdEnd) {
	h := &holdEnd{name: name, ending: make(chan struct{}, 1), release: make(chan struct{})}
	f := &fixture{sys: quietSystem(), dir: t.TempDir(), recorder: tracetest.NewSpanRecorder()}
	cfg.Dir = f.dir
	cfg.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h), sdktrace.WithSpanProcessor(f.recorder))
	s, err := Spawn(f.sys, cfg)
	require.NoError(t, err)
	f.store = s
	t.Cleanup(func() {
		s.Close(context.Background())
		f.sys.Shutdown()
	})
	t.Cleanup(h.free) // first: a failed test must not leave Close waiting on a held span
	return f, h
}

func (h *holdEnd) waitEnding(t *testing.T) {
	select {
	case <-h.ending:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s span ended", h.name)
	}
}

// The restart count moves only once the restart span has ended: whoever
// reads Restarts also finds the span.
func TestRestartCountsAfterItsSpan(t *testing.T) {
	f, h := spawnHolding(t, Config{Policy: supervision.Once()}, supervision.SpanRestart)
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "injected"})
	h.waitEnding(t)
	require.Zero(t, f.store.Restarts(), "not counted while the span is still ending")
	h.free()
	require.Eventually(t, func() bool { return f.store.Restarts() == 1 }, 10*time.Second, time.Millisecond)
	require.Len(t, spansNamed(f.recorder, supervision.SpanRestart), 1)
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("after"), Kind: kind})
	require.NoError(t, err)
}

// The writer answers WriterStopped only once the stopped span has ended
// (the flake of TestCrashStormUnderLoad: it saw the stop, then not the
// span).
func TestStopIsObservableAfterItsSpan(t *testing.T) {
	f, h := spawnHolding(t, Config{Policy: supervision.Once()}, supervision.SpanStopped)
	for _, reason := range []string{"first", "second"} {
		f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: reason})
	}
	h.waitEnding(t)
	require.Nil(t, f.store.sh.stopped.Load(), "not stopped while the span is still ending")
	h.free()
	require.Eventually(t, func() bool { return f.store.sh.stopped.Load() != nil }, 10*time.Second, time.Millisecond)
	require.Len(t, spansNamed(f.recorder, supervision.SpanStopped), 1)
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("late"), Kind: kind})
	require.ErrorIs(t, err, messages.ErrWriterStopped)
}
