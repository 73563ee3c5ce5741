package main

import (
	"bytes"
	"context"
	"regexp"
	"sync"
	"testing"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// safeBuffer is a bytes.Buffer for concurrent writers.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *safeBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The narrator tells a restart, and the stop once the policy's budget is
// spent, from the store's own spans.
func TestNarratorTellsRestartAndStop(t *testing.T) {
	var out safeBuffer
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(&narrator{w: &out}))
	defer tp.Shutdown(context.Background())
	sys := newSystem()
	defer sys.Shutdown()
	s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir(), Policy: supervision.Once(), TracerProvider: tp})
	require.NoError(t, err)
	defer s.Close(context.Background())
	order := messages.Coordinate{Entity: "order/1", Scope: "shop"}
	ctx := context.Background()
	_, err = s.Append(ctx, &messages.Append{Coordinate: order, Kind: orderPlaced})
	require.NoError(t, err)

	actorstest.CrashWriter(s, "first")
	_, err = s.Append(ctx, &messages.Append{Coordinate: order, Kind: orderPlaced}) // after the restart
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`writer crashed \(panic "first"\): the 0 request\(s\) it held were never acknowledged`), out.String())
	require.Regexp(t, regexp.MustCompile(`writer restarted: policy once, restart 1 \(failure 1 in its window\); segment 1 sealed, writing goes on in segment 2`), out.String())

	actorstest.CrashWriter(s, "second")
	_, err = s.Append(ctx, &messages.Append{Coordinate: order, Kind: orderPlaced}) // queued behind the panic
	require.ErrorIs(t, err, messages.ErrWriterStopped)
	require.Regexp(t, regexp.MustCompile(`writer crashed \(panic "second"\).*\n  writer stopped for good: policy once allowed 1 restart\(s\) and this is failure 2 in its window; appends now get ErrWriterStopped`), out.String())
}
