package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

// restart starts downMember again on its directory: its partitions hold
// what they held (hash chains verified), and the orders refused during the
// outage are placed.
func (d *clusterDemo) restart(ctx context.Context) error {
	began := time.Now()
	b, err := d.t.start(downMember)
	if err != nil {
		return err
	}
	if err := d.t.waitAvailable(ctx, downMember); err != nil {
		return err
	}
	took := time.Since(began)
	var told []string
	for _, k := range ownedBy(downMember) {
		st, err := b.LocalStore(k).Stats()
		if err != nil {
			return err
		}
		rep, err := b.LocalStore(k).Verify()
		if err != nil {
			return fmt.Errorf("p%d after the restart: %w", k, err)
		}
		if st.Events != d.before[k] {
			return fmt.Errorf("p%d held %d events before the stop, %d after the restart", k, d.before[k], st.Events)
		}
		told = append(told, fmt.Sprintf("p%d holds its %s as before, hash chains verified (%s)", k, plural(st.Events, "event"), plural(rep.Streams, "stream")))
	}
	fmt.Fprintf(d.w, "%s restarts on its directory, with a new actor system and port (every member sees it again %s after Start began): %s\n", downMember, round(took), strings.Join(told, "; "))
	for _, r := range d.refused {
		m := d.member(r.member)
		entity := orderName(r.member, r.order)
		rec, err := d.place(ctx, m, r.order)
		if err != nil {
			return fmt.Errorf("%s places %s again: %w", r.member, entity, err)
		}
		d.placed[r.member] = append(d.placed[r.member], entity)
		fmt.Fprintf(d.w, "appends resume: %s places %s again (%s, seq %d)\n", r.member, entity, d.where(entity), rec.Sequence)
	}
	evs, err := d.member("node-a").ByCorrelation(ctx, d.receipts[sagaOrder].EventID)
	if err != nil {
		return fmt.Errorf("node-a reads the saga after the restart: %w", err)
	}
	fmt.Fprintf(d.w, "node-a reads the saga of %s by correlation again: %d events\n", sagaOrder, len(evs))
	return nil
}

// summary prints, per partition, its owner and what its store holds (read
// on the owner: Stats and Verify of its local store), and counts the
// orders with one scatter query.
func (d *clusterDemo) summary(ctx context.Context) error {
	fmt.Fprintln(d.w, "summary per partition (on its owner: Stats and Verify of the local store):")
	total := 0
	for k, owner := range clusterOwners {
		s := d.member(owner).LocalStore(k)
		st, err := s.Stats()
		if err != nil {
			return err
		}
		rep, err := s.Verify()
		if err != nil {
			return fmt.Errorf("p%d: %w", k, err)
		}
		if rep.Events != st.Events {
			return fmt.Errorf("p%d: Verify checked %d events of %d", k, rep.Events, st.Events)
		}
		total += st.Events
		fmt.Fprintf(d.w, "  p%d %s: %s in %s, hash chains verified\n", k, owner, plural(st.Events, "event"), plural(st.Streams, "stream"))
	}
	orders, err := d.member("node-b").Query(ctx, partition.Filter{EntityPrefix: "order/", Kinds: []messages.EventKind{orderPlaced}})
	if err != nil {
		return err
	}
	placed := 0
	for _, es := range d.placed {
		placed += len(es)
	}
	if len(orders) != placed {
		return fmt.Errorf("node-b's Query finds %d orders, %d were acknowledged", len(orders), placed)
	}
	fmt.Fprintf(d.w, "%d events in %d partitions on 3 members; node-b's Query over every partition finds the %d orders acknowledged; %s stopped and restarted once, nothing lost\n",
		total, len(clusterOwners), len(orders), downMember)
	return nil
}
