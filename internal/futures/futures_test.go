package futures

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
)

func TestTimeout(t *testing.T) {
	d, err := Timeout(context.Background(), 7*time.Second)
	require.NoError(t, err)
	require.Equal(t, 7*time.Second, d)

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	d, err = Timeout(ctx, 7*time.Second)
	require.NoError(t, err)
	require.Greater(t, d, 7*time.Second, "the deadline, not the default")

	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	_, err = Timeout(past, time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	done, cancel3 := context.WithCancel(context.Background())
	cancel3()
	_, err = Timeout(done, time.Second)
	require.ErrorIs(t, err, context.Canceled)
}

func TestAwait(t *testing.T) {
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	echo := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if s, ok := c.Message().(string); ok {
			c.Respond(s)
		}
	}))
	res, err := Await(context.Background(), sys.Root.RequestFuture(echo, "hi", 10*time.Second))
	require.NoError(t, err)
	require.Equal(t, "hi", res)

	silent := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Await(ctx, sys.Root.RequestFuture(silent, "hi", 10*time.Second))
	require.ErrorIs(t, err, context.Canceled, "the context's end, not the future's timeout")
}
