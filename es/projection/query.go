package projection

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Query asks a projection's actor for its state: answered with a *Reply[S]
// (S the projection's state type) once the projection reflects every
// event before AtLeast, or with a *TimeoutError in it after Timeout.
type Query struct {
	// AtLeast is the first sequence the state need not reflect: to read
	// your own write, the receipt's Sequence + 1. 0 answers at once.
	AtLeast uint64 `msgpack:"at_least"`
	// Timeout bounds the wait; 0: 5 s.
	Timeout time.Duration `msgpack:"timeout"`
}

// Reply answers a Query.
type Reply[S any] struct {
	// State is a copy of the projection's state (see Config.Clone): every
	// matching event before Next is applied, none after.
	State S `msgpack:"state"`
	// Next is the first global sequence the state does not reflect.
	Next uint64 `msgpack:"next"`
	// Timeout is set when the projection had not reached AtLeast in time;
	// State and Next are then where it was.
	Timeout *TimeoutError `msgpack:"timeout,omitempty"`
	// Failing is the last Apply error while the projection is held up by
	// it (it retries the event with each message), "" otherwise.
	Failing string `msgpack:"failing,omitempty"`
}

// Err returns the reply's Timeout as an error, or a plain nil.
func (r *Reply[S]) Err() error {
	if r.Timeout != nil {
		return r.Timeout
	}
	return nil
}

// ErrTimeout is matched (errors.Is) by a *TimeoutError.
var ErrTimeout = errors.New("batpak projection: timed out waiting for a sequence")

// TimeoutError says a projection had not reached a sequence in time. It
// matches ErrTimeout and context.DeadlineExceeded.
type TimeoutError struct {
	// AtLeast is what the query waited for.
	AtLeast uint64 `msgpack:"at_least"`
	// Next is where the projection was.
	Next uint64 `msgpack:"next"`
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("batpak projection: timed out waiting for sequence %d (reflects up to %d)", e.AtLeast, e.Next)
}

// Is matches ErrTimeout and context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}
