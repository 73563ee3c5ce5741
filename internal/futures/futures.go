// Package futures holds what every request-and-wait of batpak-go shares (the
// Go API of a store, the remoting Client, the partitioned store's member):
// how long a request may wait, given its context, and waiting on a
// protoactor future until it answers or the context ends.
package futures

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Timeout returns how long a request may wait: until ctx's deadline, else
// def. A context that is done, or whose deadline has passed, is an error
// at once (protoactor takes a timeout ≤ 0 as none).
func Timeout(ctx context.Context, def time.Duration) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d, ok := ctx.Deadline()
	if !ok {
		return def, nil
	}
	t := time.Until(d)
	if t <= 0 {
		return 0, context.DeadlineExceeded
	}
	return t, nil
}

// Await waits for f's result, or for ctx's end (then ctx's error).
func Await(ctx context.Context, f *actor.Future) (any, error) {
	if ctx.Done() == nil { // cannot be cancelled: wait on the future alone
		return f.Result()
	}
	var res any
	var err error
	done := make(chan struct{})
	go func() { res, err = f.Result(); close(done) }()
	select {
	case <-done:
		return res, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
