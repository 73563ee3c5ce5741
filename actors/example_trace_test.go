package actors_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// An actor's append carries the trace context of the span it works under,
// so that the writer's spans for it are children of that span.
func ExampleTrace() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir, TracerProvider: tp})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(context.Background())

	spanCtx, span := tp.Tracer("shop").Start(context.Background(), "place order")
	a := &messages.Append{Coordinate: messages.Coordinate{Entity: "order/7", Scope: "shop"}, Kind: placed}
	a.Trace = actors.Trace(spanCtx) // the writer's spans become children of this span
	res, err := sys.Root.RequestFuture(store.Writer(), a, 5*time.Second).Result()
	span.End()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("appended:", res.(*messages.AppendReply).Err() == nil)
	for _, s := range spans.Ended() {
		if s.Name() == actors.SpanAppend {
			fmt.Println("its span is a child of the caller's:", s.Parent().SpanID() == span.SpanContext().SpanID())
		}
	}
	// Output:
	// appended: true
	// its span is a child of the caller's: true
}
