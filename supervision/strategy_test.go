package supervision

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

type boom struct{}

// crashy panics on boom and reports each new instance's start.
type crashy struct{ started chan<- struct{} }

func (c *crashy) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		c.started <- struct{}{}
	case *boom:
		panic(errors.New("injected"))
	}
}

// parent spawns one crashy child under the strategy and reports its end.
type parent struct {
	started chan<- struct{}
	stopped chan<- struct{}
	child   chan<- *actor.PID
}

func (p *parent) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		pid, err := ctx.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &crashy{started: p.started} }), "writer")
		if err != nil {
			panic(err)
		}
		ctx.Watch(pid)
		p.child <- pid
	case *actor.Terminated:
		_ = m
		p.stopped <- struct{}{}
	}
}

type rig struct {
	sys      *actor.ActorSystem
	child    *actor.PID
	started  chan struct{}
	stopped  chan struct{}
	recorder *tracetest.SpanRecorder
}

func newRig(t *testing.T, p RestartPolicy, h Hooks) *rig {
	r := &rig{sys: actor.NewActorSystem(), started: make(chan struct{}, 16), stopped: make(chan struct{}, 1),
		recorder: tracetest.NewSpanRecorder()}
	h.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.recorder))
	childCh := make(chan *actor.PID, 1)
	props := actor.PropsFromProducer(func() actor.Actor {
		return &parent{started: r.started, stopped: r.stopped, child: childCh}
	}, actor.WithSupervisor(p.Strategy(h)))
	_, err := r.sys.Root.SpawnNamed(props, "supervisor")
	require.NoError(t, err)
	r.child = <-childCh
	r.waitStart(t)
	t.Cleanup(r.sys.Shutdown)
	return r
}

func (r *rig) waitStart(t *testing.T) {
	select {
	case <-r.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the child did not start")
	}
}

func (r *rig) crash() { r.sys.Root.Send(r.child, &boom{}) }

func (r *rig) waitStop(t *testing.T) {
	select {
	case <-r.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the child was not stopped")
	}
}

func spanNames(r *tracetest.SpanRecorder) []string {
	var names []string
	for _, s := range r.Ended() {
		names = append(names, s.Name())
	}
	return names
}

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func TestOnceRestartsOnceThenStops(t *testing.T) {
	r := newRig(t, Once(), Hooks{})
	r.crash()
	r.waitStart(t) // restarted
	r.crash()
	r.waitStop(t)
	require.Equal(t, []string{SpanRestart, SpanStopped}, spanNames(r.recorder))
	spans := r.recorder.Ended()
	require.Equal(t, "once", attr(spans[0], "batpak.policy").AsString())
	require.Equal(t, int64(1), attr(spans[0], "batpak.restart").AsInt64())
	require.Contains(t, attr(spans[0], "batpak.panic").AsString(), "injected")
	require.Equal(t, codes.Error, spans[1].Status().Code)
	require.Equal(t, codes.Error, spans[0].Status().Code, "a restart is a failure too")
}

// Both spans record the panic as an exception event and link to the span
// contexts the Links hook gives.
func TestFailureSpansRecordThePanicAndLink(t *testing.T) {
	linked := trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled}
	r := newRig(t, Once(), Hooks{Links: func(Failure) []trace.Link {
		return []trace.Link{{SpanContext: trace.NewSpanContext(linked)}}
	}})
	r.crash()
	r.waitStart(t)
	r.crash()
	r.waitStop(t)
	spans := r.recorder.Ended()
	require.Len(t, spans, 2)
	for _, sp := range spans {
		require.Len(t, sp.Links(), 1, sp.Name())
		require.Equal(t, trace.SpanID{2}, sp.Links()[0].SpanContext.SpanID())
		var exception bool
		for _, ev := range sp.Events() {
			if ev.Name == "exception" {
				exception = true
				for _, kv := range ev.Attributes {
					if kv.Key == "exception.message" {
						require.Contains(t, kv.Value.AsString(), "injected")
					}
				}
			}
		}
		require.True(t, exception, "%s records the panic", sp.Name())
	}
}

func TestBoundedStopsWhenTheWindowIsFull(t *testing.T) {
	r := newRig(t, Bounded(2, time.Minute), Hooks{})
	for i := 0; i < 2; i++ {
		r.crash()
		r.waitStart(t)
	}
	r.crash()
	r.waitStop(t)
	require.Equal(t, []string{SpanRestart, SpanRestart, SpanStopped}, spanNames(r.recorder))
	require.Equal(t, int64(2), attr(r.recorder.Ended()[1], "batpak.restart").AsInt64())
}

func TestBoundedForgetsFailuresOutsideTheWindow(t *testing.T) {
	now := time.Unix(0, 0)
	clock := make(chan time.Time, 1)
	r := newRig(t, Bounded(1, time.Minute), Hooks{Now: func() time.Time { return <-clock }})
	for i := 0; i < 4; i++ {
		now = now.Add(2 * time.Minute) // every failure is alone in its window
		clock <- now
		r.crash()
		r.waitStart(t)
	}
	clock <- now.Add(time.Second) // the second inside a minute
	r.crash()
	r.waitStop(t)
	require.Len(t, r.recorder.Ended(), 5)
}

func TestHooksSeeEveryFailure(t *testing.T) {
	restarts := make(chan Failure, 4)
	stops := make(chan Failure, 1)
	r := newRig(t, Once(), Hooks{
		OnRestart: func(f Failure) {
			f.Span.SetAttributes(attribute.Int64("batpak.segment.new", 7))
			f.Span.End()
			restarts <- f
		},
		OnStop: func(f Failure) { stops <- f },
	})
	r.crash()
	r.waitStart(t)
	f := <-restarts
	require.Equal(t, 1, f.Restart)
	require.Equal(t, r.child.Id, f.Child.Id)
	r.crash()
	r.waitStop(t)
	require.Equal(t, 2, (<-stops).InWindow)
	require.Equal(t, int64(7), attr(r.recorder.Ended()[0], "batpak.segment.new").AsInt64())
}

// Whoever observes what OnStop does (the writer answering WriterStopped)
// must also find the stopped span ended and exported, with the attributes
// StopAttributes gave it.
func TestStopSpanEndsBeforeOnStop(t *testing.T) {
	var r *rig
	seen := make(chan []string, 1)
	r = newRig(t, Once(), Hooks{
		StopAttributes: func(f Failure) []attribute.KeyValue {
			require.True(t, f.Span.IsRecording(), "the span is still open for attributes")
			return []attribute.KeyValue{attribute.Int64("batpak.segment.old", 3)}
		},
		OnStop: func(f Failure) { seen <- spanNames(r.recorder) },
	})
	r.crash()
	r.waitStart(t)
	r.crash()
	r.waitStop(t)
	require.Equal(t, []string{SpanRestart, SpanStopped}, <-seen, "the hook runs after the span has ended")
	require.Equal(t, int64(3), attr(r.recorder.Ended()[1], "batpak.segment.old").AsInt64())
}
