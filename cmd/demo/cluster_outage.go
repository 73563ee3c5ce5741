package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batpak-go/batpak/partition"
)

// downMember is the member the demo stops and restarts.
const downMember = "node-b"

// ownedBy returns the partitions name owns.
func ownedBy(name string) []int {
	var ks []int
	for k, o := range clusterOwners {
		if o == name {
			ks = append(ks, k)
		}
	}
	return ks
}

// outage stops downMember while another member reads one of its
// partitions in a loop, and tells how soon that read answered
// ErrPartitionUnavailable; then the others go on appending (an append to
// the stopped member's partitions is refused at once) and a scatter read
// that needs its partitions fails whole.
func (d *clusterDemo) outage(ctx context.Context) error {
	b, a, c := d.member(downMember), d.member("node-a"), d.member("node-c")
	d.before = map[int]int{}
	for _, k := range ownedBy(downMember) {
		st, err := b.LocalStore(k).Stats()
		if err != nil {
			return err
		}
		d.before[k] = st.Events
	}
	probe, err := d.onMember("node-a", downMember) // order/a-1, on node-b's p1
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "%s stops (Close: it leaves the cluster, its stores close) while node-a reads %s (%s) in a loop\n", downMember, probe, d.where(probe))
	stopped := make(chan error, 1)
	began := time.Now()
	go func() { stopped <- d.t.stop(context.WithoutCancel(ctx), downMember) }() // d.t.members is not read until it is done
	seen, err := untilUnavailable(ctx, a, probe, began)
	if err := errors.Join(err, <-stopped); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "node-a's read of %s answered ErrPartitionUnavailable %s after the stop began (no request timeout)\n", d.where(probe), round(seen))

	for _, m := range []*partition.Member{a, c} {
		if err := d.placeDuringOutage(ctx, m); err != nil {
			return err
		}
	}
	evs, err := a.ByCorrelation(ctx, d.receipts[sagaOrder].EventID)
	ks := unavailablePartitions(err)
	if len(ks) == 0 || len(evs) > 0 {
		return fmt.Errorf("node-a reads the saga with %s down: want ErrPartitionUnavailable, got %d events and %v", downMember, len(evs), err)
	}
	fmt.Fprintf(d.w, "node-a reads the saga of %s by correlation: ErrPartitionUnavailable for partitions %v, and no partial answer\n", sagaOrder, ks)
	return nil
}

// onMember returns the first order placer placed in a partition owner
// owns.
func (d *clusterDemo) onMember(placer, owner string) (string, error) {
	for _, e := range d.placed[placer] {
		if clusterOwners[partition.PartitionOf(e, len(clusterOwners))] == owner {
			return e, nil
		}
	}
	return "", fmt.Errorf("%s placed no order on %s", placer, owner)
}

// untilUnavailable reads entity through m until the read answers
// ErrPartitionUnavailable, and returns how long after began that was. Any
// other error, or 10 s without one, is a failure.
func untilUnavailable(ctx context.Context, m *partition.Member, entity string, began time.Time) (time.Duration, error) {
	for {
		_, err := m.Stream(ctx, shop(entity), 1)
		switch {
		case errors.Is(err, partition.ErrPartitionUnavailable):
			return time.Since(began), nil
		case err != nil:
			return 0, fmt.Errorf("%s reads %s while its owner stops: %w", m.Name(), entity, err)
		case time.Since(began) > 10*time.Second:
			return 0, fmt.Errorf("%s still reads %s 10 s after its owner began to stop", m.Name(), entity)
		}
	}
}

// placeDuringOutage has m place two more orders: those of a live owner's
// partition are written, one of the stopped member's is refused at once.
func (d *clusterDemo) placeDuringOutage(ctx context.Context, m *partition.Member) error {
	var told []string
	for i := ordersPerMember + 1; i <= ordersPerMember+2; i++ {
		entity := orderName(m.Name(), i)
		began := time.Now()
		r, err := d.place(ctx, m, i)
		took := time.Since(began)
		switch {
		case err == nil:
			d.placed[m.Name()] = append(d.placed[m.Name()], entity)
			told = append(told, fmt.Sprintf("%s (%s, seq %d)", entity, d.where(entity), r.Sequence))
		case errors.Is(err, partition.ErrPartitionUnavailable):
			d.refused = append(d.refused, refusal{member: m.Name(), order: i})
			told = append(told, fmt.Sprintf("%s (%s) refused in %s: %v", entity, d.where(entity), round(took), err))
		default:
			return fmt.Errorf("%s places %s: %w", m.Name(), entity, err)
		}
	}
	fmt.Fprintf(d.w, "%s goes on: %s\n", m.Name(), strings.Join(told, "; "))
	return nil
}

// refusal is an order refused during the outage.
type refusal struct {
	member string
	order  int
}

// unavailablePartitions lists the partitions err says are unavailable
// (a scatter read joins one *UnavailableError per such partition).
func unavailablePartitions(err error) []int {
	var ks []int
	var walk func(error)
	walk = func(err error) {
		var ue *partition.UnavailableError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &ue) {
				ks = append(ks, ue.Partition)
			}
		}
	}
	walk(err)
	return ks
}

// plural is "1 event", "2 events".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// round rounds a measured duration for printing.
func round(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
