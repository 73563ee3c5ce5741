package main

import (
	"context"
	"fmt"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

// sagaOrder is the order whose saga spans partitions: order/c-2 (p2 on
// node-c), its reservation on stock/sku-2 (p4 on node-b), its mail on
// mail/c-2 (p5 on node-c).
const sagaOrder = "order/c-2"

// scatter continues the saga of sagaOrder from two other members, each
// event in the order's correlation and caused by the one before, then
// reads the correlation from every partition at once (ByCorrelation).
func (d *clusterDemo) scatter(ctx context.Context) error {
	root := d.receipts[sagaOrder]
	stock, mail := "stock/sku-2", "mail/c-2"
	a, err := typed.Append(d.reg, shop(stock), StockReserved{Order: sagaOrder, Qty: 3}, typed.Correlation(root.EventID), typed.CausedBy(root.EventID))
	if err != nil {
		return err
	}
	reserved, err := d.member("node-a").Append(ctx, a)
	if err != nil {
		return fmt.Errorf("node-a reserves %s: %w", stock, err)
	}
	a, err = typed.Append(d.reg, shop(mail), MailQueued{Order: sagaOrder, Template: "confirmation"}, typed.Correlation(root.EventID), typed.CausedBy(reserved.EventID))
	if err != nil {
		return err
	}
	if _, err := d.member("node-b").Append(ctx, a); err != nil {
		return fmt.Errorf("node-b queues %s: %w", mail, err)
	}
	fmt.Fprintf(d.w, "saga of %s (%s): node-a reserves its stock on %s (%s), node-b queues its mail on %s (%s), each caused by the step before, all in the order's correlation\n",
		sagaOrder, d.where(sagaOrder), stock, d.where(stock), mail, d.where(mail))
	evs, err := d.member("node-c").ByCorrelation(ctx, root.EventID)
	if err != nil {
		return fmt.Errorf("node-c reads the saga: %w", err)
	}
	fmt.Fprintf(d.w, "node-c reads it by correlation, from all %d partitions at once (scatter-gather): %d events, each partition's in its own sequence order, across partitions by event time (TimestampUS, ties to the lower partition), not a causal order:\n",
		len(clusterOwners), len(evs))
	byID := map[messages.ID]string{}
	for _, ev := range evs {
		byID[ev.ID] = ev.Coordinate.Entity
	}
	for _, ev := range evs {
		cause := "-"
		if ev.CausationID != (messages.ID{}) {
			cause = byID[ev.CausationID]
		}
		fmt.Fprintf(d.w, "  p%d seq=%-2d %-12s %-20s cause=%s\n", partition.PartitionOf(ev.Coordinate.Entity, len(clusterOwners)), ev.Sequence, ev.Coordinate.Entity, d.reg.Name(ev.Kind), cause)
	}
	return nil
}
