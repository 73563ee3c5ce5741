package partition

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/batpak-go/batpak/messages"
)

// Filter selects events for Query, in every partition. Zero fields select
// everything.
type Filter struct {
	// EntityPrefix keeps entities that start with it ("" = all).
	EntityPrefix string
	// Scope keeps only this scope when non-empty.
	Scope string
	// Kinds keeps only these kinds when non-empty.
	Kinds []messages.EventKind
}

// scatterWidth bounds how many partitions a scatter read asks at once.
const scatterWidth = 16

// ReadStream reads one page of one entity's events from its partition (a
// *messages.ReadStream, answered as the partition store's reader answers
// it; read on with the reply's Next in From until End).
func (m *Member) ReadStream(ctx context.Context, r *messages.ReadStream) (*messages.ReadReply, error) {
	if r == nil {
		return nil, invalid("nil ReadStream")
	}
	return m.readPage(ctx, m.PartitionOf(r.Coordinate.Entity), r)
}

// Stream returns one entity's events from a version on (0 or 1: all), in
// version order, read page by page from its partition.
func (m *Member) Stream(ctx context.Context, c messages.Coordinate, fromVersion uint64) ([]messages.Event, error) {
	k := m.PartitionOf(c.Entity)
	req := &messages.ReadStream{Coordinate: c, From: fromVersion, Limit: messages.MaxReadPage}
	return m.readAll(ctx, k, req, func(next uint64) { req.From = next })
}

// QueryPartition reads one page of the events of partition k that match q
// (a *messages.ReadQuery: q's sequences are partition k's), in k's global
// order: a bounded-memory way to read one partition.
func (m *Member) QueryPartition(ctx context.Context, k int, q *messages.ReadQuery) (*messages.ReadReply, error) {
	if q == nil {
		return nil, invalid("nil ReadQuery")
	}
	if k < 0 || k >= m.n {
		return nil, invalid(fmt.Sprintf("partition %d not in [0, %d)", k, m.n))
	}
	return m.readPage(ctx, k, q)
}

// Query returns the events of every partition that match f, gathered from
// all partitions at once (see Merge for their order). If a partition is
// unavailable, Query returns ErrPartitionUnavailable (an *UnavailableError
// for each such partition, joined), never a partial result.
func (m *Member) Query(ctx context.Context, f Filter) ([]messages.Event, error) {
	probe := messages.ReadQuery{EntityPrefix: f.EntityPrefix, Scope: f.Scope, Kinds: f.Kinds}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	return m.scatter(ctx, func(ctx context.Context, k int) ([]messages.Event, error) {
		q := probe
		q.Limit = messages.MaxReadPage
		return m.readAll(ctx, k, &q, func(next uint64) { q.FromSeq = next })
	})
}

// ByCorrelation returns the events of one correlation (a saga, whose
// events may lie in any partition), gathered from all partitions at once
// (see Merge for their order). Unavailable partitions as for Query.
func (m *Member) ByCorrelation(ctx context.Context, id messages.ID) ([]messages.Event, error) {
	probe := messages.ReadCorrelation{ID: id}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	return m.scatter(ctx, func(ctx context.Context, k int) ([]messages.Event, error) {
		q := probe
		q.Limit = messages.MaxReadPage
		return m.readAll(ctx, k, &q, func(next uint64) { q.FromSeq = next })
	})
}

// readPage sends one read request to partition k.
func (m *Member) readPage(ctx context.Context, k int, req any) (*messages.ReadReply, error) {
	res, err := m.request(ctx, k, req, false)
	if err != nil {
		return nil, err
	}
	r, ok := res.(*messages.ReadReply)
	if !ok {
		return nil, m.unexpected(k, res)
	}
	if err := r.Err(); err != nil {
		return nil, m.storeErr(k, err)
	}
	return r, nil
}

// readAll reads req's pages from partition k until the end; moveTo sets
// where req's next page starts.
func (m *Member) readAll(ctx context.Context, k int, req any, moveTo func(uint64)) ([]messages.Event, error) {
	var out []messages.Event
	for {
		r, err := m.readPage(ctx, k, req)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Events...)
		if r.End {
			return out, nil
		}
		moveTo(r.Next)
	}
}

// scatter runs read on every partition, at most scatterWidth at once, and
// merges what they return. When any partition is unavailable now, it
// sends nothing and returns the *UnavailableError of each such partition,
// joined; when a read fails, the others are cancelled and it returns the
// failures.
func (m *Member) scatter(ctx context.Context, read func(context.Context, int) ([]messages.Event, error)) ([]messages.Event, error) {
	if m.closed.Load() {
		return nil, closedErr()
	}
	var down []error
	for k := range m.n {
		if _, reason := m.lk.resolve(k); reason != "" {
			down = append(down, m.unavailable(k, reason, nil))
		}
	}
	if len(down) > 0 {
		return nil, errors.Join(down...)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([][]messages.Event, m.n)
	errs := make([]error, m.n)
	sem := make(chan struct{}, scatterWidth)
	var wg sync.WaitGroup
	for k := range m.n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if parts[k], errs[k] = read(ctx, k); errs[k] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := firstCauses(errs); err != nil {
		return nil, err
	}
	return Merge(parts), nil
}

// firstCauses joins the errors of a scatter, leaving out the cancellations
// it caused itself when there is another error.
func firstCauses(errs []error) error {
	var real, cancelled []error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			cancelled = append(cancelled, err)
		default:
			real = append(real, err)
		}
	}
	if len(real) > 0 {
		return errors.Join(real...)
	}
	return errors.Join(cancelled...)
}
