package partition

import (
	"context"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/internal/futures"
	"github.com/batpak-go/batpak/messages"
)

// request sends msg to partition k's front actor, resolved through the
// cluster (Cluster.Get, i.e. the member's identity lookup, at every call:
// no PID is cached, so none goes stale), and waits for the reply. A
// partition whose owner is not a live member is answered at once with an
// *UnavailableError, without sending anything; so is one whose owner
// leaves the cluster (or moves) while the request is in flight, and one
// whose owner has no such partition (a dead letter). write says whether
// msg may have written (an append): a request lost in flight then also
// matches messages.ErrOutcomeUnknown.
func (m *Member) request(ctx context.Context, k int, msg any, write bool) (any, error) {
	if m.closed.Load() {
		return nil, closedErr()
	}
	timeout, err := futures.Timeout(ctx, m.cfg.RequestTimeout)
	if err != nil {
		return nil, err
	}
	pid := m.c.Get(Identity(k), Kind)
	if pid == nil {
		_, reason := m.lk.resolve(k)
		return nil, m.unavailable(k, reason, nil)
	}
	f := m.sys.Root.RequestFuture(pid, msg, timeout)
	res, err := m.await(ctx, k, pid, f, write)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, actor.ErrDeadLetter):
		return nil, m.unavailable(k, "its owner at "+pid.Address+" has no such partition, or could not be reached", err)
	case errors.Is(err, actor.ErrTimeout):
		return nil, fmt.Errorf("batpak partition: no reply from partition %d within %v (outcome unknown; retry with an idempotency key): %w",
			k, timeout, context.DeadlineExceeded)
	}
	return nil, err
}

// await waits for f's result, ctx's end, the owner of partition k (last
// at pid's address) to leave the cluster, or the member's Close, whichever
// comes first.
func (m *Member) await(ctx context.Context, k int, pid *actor.PID, f *actor.Future, write bool) (any, error) {
	var (
		res  any
		err  error
		done = make(chan struct{})
	)
	go func() { res, err = f.Result(); close(done) }()
	for {
		changed := m.lk.changes()
		if addr, reason := m.lk.resolve(k); reason != "" || addr != pid.Address {
			if reason == "" {
				reason = "its owner moved to " + addr
			}
			var cause error
			if write {
				cause = messages.ErrOutcomeUnknown
			}
			return nil, m.unavailable(k, "the owner left while the request was in flight ("+reason+")", cause)
		}
		select {
		case <-done:
			return res, err
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.stop:
			if write {
				return nil, fmt.Errorf("%w (the append was in flight: %w)", closedErr(), messages.ErrOutcomeUnknown)
			}
			return nil, closedErr()
		case <-changed:
		}
	}
}

// unavailable is partition k's *UnavailableError.
func (m *Member) unavailable(k int, reason string, cause error) error {
	return &UnavailableError{Partition: k, Owner: m.cfg.Owners[k], Reason: reason, Err: cause}
}

// storeErr is what a caller gets for the failure a partition's store
// answered: the store's own typed error, except that a store that is
// closed or stopped for good makes the partition unavailable (the error
// matches both ErrPartitionUnavailable and the store's error).
func (m *Member) storeErr(k int, err error) error {
	if errors.Is(err, messages.ErrClosed) || errors.Is(err, messages.ErrWriterStopped) {
		return m.unavailable(k, "its store is closed or stopped", err)
	}
	return err
}

// unexpected is the error for a reply of the wrong type.
func (m *Member) unexpected(k int, res any) error {
	if r, ok := res.(*messages.ErrorReply); ok {
		if err := r.Err(); err != nil {
			return m.storeErr(k, err)
		}
	}
	return fmt.Errorf("batpak partition: unexpected reply %T from partition %d: %w", res, k, messages.ErrInvalidArgument)
}
