package supervision_test

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/supervision"
)

// Once allows one restart in the store's whole life.
func ExampleOnce() {
	p := supervision.Once()
	fmt.Println(p, p.MaxRestarts(), p.Within())
	fmt.Println("the zero value:", supervision.RestartPolicy{})
	// Output:
	// once 1 0s
	// the zero value: once
}

// Bounded allows at most n restarts within any window of the given length
// (0: the store's whole life); a count below 1 is taken as 1.
func ExampleBounded() {
	for _, p := range []supervision.RestartPolicy{
		supervision.Bounded(3, time.Minute),
		supervision.Bounded(2, 0),
		supervision.Bounded(0, time.Second),
	} {
		fmt.Println(p, p.MaxRestarts(), p.Within())
	}
	// Output:
	// bounded(3 within 1m0s) 3 1m0s
	// bounded(2) 2 0s
	// bounded(1 within 1s) 1 1s
}

type crash struct{}

// worker panics on crash.
type worker struct{}

func (worker) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(crash); ok {
		panic("disk on fire")
	}
}

// boss spawns one worker under its strategy and reports the worker's PID.
type boss struct{ child chan<- *actor.PID }

func (b *boss) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		b.child <- ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return worker{} }))
	}
}

// Strategy turns a policy into a protoactor SupervisorStrategy for the
// props of the supervised actor's parent: under Once, the first panic
// restarts the child and the second stops it. The hooks see each failure.
func ExampleRestartPolicy_Strategy() {
	quiet := actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	sys := actor.NewActorSystem(quiet)
	defer sys.Shutdown()

	seen := make(chan string, 2)
	strategy := supervision.Once().Strategy(supervision.Hooks{
		OnRestart: func(f supervision.Failure) {
			defer f.Span.End() // a hook that takes OnRestart ends the span
			seen <- fmt.Sprintf("restart %d under %s: %s", f.Restart, f.Policy, f.Reason)
		},
		OnStop: func(f supervision.Failure) {
			seen <- fmt.Sprintf("stopped under %s after %d restart(s): %s", f.Policy, f.Restart, f.Reason)
		},
	})
	child := make(chan *actor.PID, 1)
	sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &boss{child} },
		actor.WithSupervisor(strategy)))
	pid := <-child

	sys.Root.Send(pid, crash{})
	fmt.Println(<-seen)
	sys.Root.Send(pid, crash{})
	fmt.Println(<-seen)
	// Output:
	// restart 1 under once: disk on fire
	// stopped under once after 1 restart(s): disk on fire
}
