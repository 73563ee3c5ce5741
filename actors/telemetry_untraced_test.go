package actors

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

func attrOf(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// With a real tracer provider, requests whose sender does not trace get
// the spans they always got: a root batpak.append span per request (with
// its attributes) and a batpak.commit span per group, linked to them.
func TestUntracedAppendsAreTracedWithAProvider(t *testing.T) {
	f := spawn(t, Config{}) // the OpenTelemetry SDK with an in-memory recorder
	r, err := f.store.Append(context.Background(), &messages.Append{Coordinate: coord("u"), Kind: kind})
	require.NoError(t, err)
	res, err := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("u"), Kind: kind}, 5e9).Result()
	require.NoError(t, err)
	require.NoError(t, res.(*messages.AppendReply).Err())
	_, err = f.store.AppendBatch(context.Background(), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("u"), Kind: kind}, {Coordinate: coord("u"), Kind: kind}}})
	require.NoError(t, err)

	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 3)
	for _, a := range appends {
		require.False(t, a.Parent().IsValid(), "a root span")
		require.True(t, a.SpanContext().IsValid())
	}
	entity, ok := attrOf(appends[0], "batpak.entity")
	require.True(t, ok)
	require.Equal(t, coord("u").Entity, entity.AsString())
	seq, ok := attrOf(appends[0], "batpak.sequence")
	require.True(t, ok)
	require.Equal(t, int64(r.Sequence), seq.AsInt64())
	items, ok := attrOf(appends[2], "batpak.batch.items")
	require.True(t, ok)
	require.Equal(t, int64(2), items.AsInt64())
	entity, ok = attrOf(appends[2], "batpak.entity")
	require.True(t, ok, "a batch on one entity names it")
	require.Equal(t, coord("u").Entity, entity.AsString())

	commits := spansNamed(f.recorder, SpanCommit)
	require.Len(t, commits, 3, "one group each: every request waited for its receipt")
	for i, c := range commits {
		require.Len(t, c.Links(), 1)
		require.Equal(t, appends[i].SpanContext().SpanID(), c.Links()[0].SpanContext.SpanID())
		events, ok := attrOf(c, "batpak.group.events")
		require.True(t, ok)
		require.Equal(t, int64(1+i/2), events.AsInt64())
	}
}

// inActor runs fn in an actor's Receive (startAppend reads the envelope's
// headers from the actor context) and waits for it.
func inActor(t *testing.T, fn func(actor.Context)) {
	t.Helper()
	sys := quietSystem()
	t.Cleanup(sys.Shutdown)
	done := make(chan struct{})
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(string); ok {
			fn(c)
			close(done)
		}
	}))
	sys.Root.Send(pid, "run")
	<-done
}

// Span work is done only for a request that carries a valid span context,
// or with a real provider: with otel's no-op provider an untraced request
// gets noSpan (the tracer is not even called), a traced one a span in its
// caller's trace; with the SDK every request gets a span.
func TestSpanWorkOnlyWhenTracedOrProvided(t *testing.T) {
	caller, callerSpan := sdktrace.NewTracerProvider().Tracer("caller").Start(context.Background(), "caller")
	defer callerSpan.End()

	none := newTelemetry(Config{TracerProvider: tracenoop.NewTracerProvider()}.withDefaults())
	carrier := Trace(caller)
	require.NotEmpty(t, carrier)
	require.False(t, none.tracing())
	sdk := newTelemetry(Config{TracerProvider: sdktrace.NewTracerProvider()}.withDefaults())
	require.True(t, sdk.tracing())

	inActor(t, func(c actor.Context) {
		require.Equal(t, noSpan, none.startAppend(c, nil, &spanMemory{}, nil), "untraced, no provider: no span")
		require.Equal(t, noSpan, none.startAppend(c, messages.TraceCarrier{"traceparent": "garbage"}, &spanMemory{}, nil),
			"a carrier without a valid span context is untraced")

		s := none.startAppend(c, carrier, &spanMemory{}, nil)
		require.NotEqual(t, noSpan, s)
		require.Equal(t, callerSpan.SpanContext().TraceID(), s.SpanContext().TraceID(), "traced: in the caller's trace")

		s = sdk.startAppend(c, nil, &spanMemory{}, nil)
		require.True(t, s.IsRecording(), "untraced, real provider: a root span")
		s.End()
		s = sdk.startAppend(c, carrier, &spanMemory{}, nil)
		require.True(t, s.IsRecording())
		require.Equal(t, callerSpan.SpanContext().TraceID(), s.SpanContext().TraceID())
		s.End()
	})
}

// A store on otel's global provider, started before any provider is set,
// makes no spans for untraced requests; once the application sets a
// provider, it does. (Run in a process of its own: the global provider can
// be set once per process.)
func TestGlobalProviderSetAfterSpawn(t *testing.T) {
	if os.Getenv("BATPAK_TEST_GLOBAL_OTEL") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalProviderSetAfterSpawn$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "BATPAK_TEST_GLOBAL_OTEL=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "--- PASS: TestGlobalProviderSetAfterSpawn")
		return
	}
	require.True(t, isUnsetGlobal(otel.GetTracerProvider()), "no provider set yet in this process")
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: t.TempDir()})
	require.NoError(t, err)
	defer s.Close(context.Background())
	require.False(t, s.sh.tel.tracing())
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("g"), Kind: kind})
	require.NoError(t, err)

	recorder := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)))
	require.True(t, s.sh.tel.tracing())
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("g"), Kind: kind})
	require.NoError(t, err)
	require.Len(t, spansNamed(recorder, SpanAppend), 1, "only the append after the provider was set")
	require.Len(t, spansNamed(recorder, SpanCommit), 1)
	require.False(t, spansNamed(recorder, SpanAppend)[0].Parent().IsValid(), "a root span")
}
