package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

// ordersPerMember is how many orders each member places at first.
const ordersPerMember = 4

// orderName is the i-th order member places: node-a's first is order/a-1.
func orderName(member string, i int) string {
	return fmt.Sprintf("order/%s-%d", strings.TrimPrefix(member, "node-"), i)
}

// skuOf is the article an order is for.
func skuOf(i int) string { return fmt.Sprintf("sku-%d", (i-1)%3+1) }

// place appends the OrderPlaced of order i through member m, routed to the
// order's partition wherever it lives.
func (d *clusterDemo) place(ctx context.Context, m *partition.Member, i int, opts ...typed.Option) (messages.Receipt, error) {
	entity := orderName(m.Name(), i)
	a, err := typed.Append(d.reg, shop(entity), OrderPlaced{Desk: memberIndex(m.Name()), SKU: skuOf(i), Qty: i%3 + 1}, opts...)
	if err != nil {
		return messages.Receipt{}, err
	}
	return m.Append(ctx, a)
}

// memberIndex is a member's place in memberNames (its "desk").
func memberIndex(name string) int {
	for i, n := range memberNames {
		if n == name {
			return i
		}
	}
	return -1
}

// placeOrders has each member place its orders, one after the other.
func (d *clusterDemo) placeOrders(ctx context.Context) error {
	for _, name := range memberNames {
		m := d.member(name)
		var told []string
		for i := 1; i <= ordersPerMember; i++ {
			r, err := d.place(ctx, m, i)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, orderName(name, i), err)
			}
			entity := orderName(name, i)
			d.placed[name] = append(d.placed[name], entity)
			d.receipts[entity] = r
			told = append(told, fmt.Sprintf("%s (%s, seq %d)", entity, d.where(entity), r.Sequence))
		}
		fmt.Fprintf(d.w, "%s placed %s\n", name, strings.Join(told, ", "))
	}
	return nil
}

// readBack has each member read the orders of the member before it, from
// their partitions.
func (d *clusterDemo) readBack(ctx context.Context) error {
	for i, name := range memberNames {
		reader := d.member(memberNames[(i+1)%len(memberNames)])
		var told []string
		for _, entity := range d.placed[name] {
			evs, err := reader.Stream(ctx, shop(entity), 1)
			if err != nil {
				return fmt.Errorf("%s reads %s: %w", reader.Name(), entity, err)
			}
			if len(evs) != 1 {
				return fmt.Errorf("%s reads %s: %d events, want 1", reader.Name(), entity, len(evs))
			}
			o, err := typed.DecodeAs[OrderPlaced](d.reg, evs[0])
			if err != nil {
				return err
			}
			told = append(told, fmt.Sprintf("%s %s x%d", entity, o.SKU, o.Qty))
		}
		fmt.Fprintf(d.w, "%s read %s's orders back from their partitions: %s\n", reader.Name(), name, strings.Join(told, ", "))
	}
	return nil
}

// batches shows a batch within one partition written whole, one refused
// whole, and one across partitions refused before it is sent.
func (d *clusterDemo) batches(ctx context.Context) error {
	order, err := d.batchInOnePartition(ctx)
	if err != nil {
		return err
	}
	if err := d.batchRefusedWhole(ctx, order); err != nil {
		return err
	}
	return d.batchAcrossPartitions(ctx)
}

// batchInOnePartition has node-c write an order and its reservation in
// one batch: two entities whose names hash to one partition. It returns
// the order.
func (d *clusterDemo) batchInOnePartition(ctx context.Context) (string, error) {
	stock := "stock/sku-3"
	order := siblingOrder("node-c", partition.PartitionOf(stock, len(clusterOwners)))
	items, err := d.orderItems(order, stock)
	if err != nil {
		return "", err
	}
	rs, err := d.member("node-c").AppendBatch(ctx, &messages.AppendBatch{Items: items})
	if err != nil {
		return "", fmt.Errorf("batch of %s and %s: %w", order, stock, err)
	}
	d.placed["node-c"] = append(d.placed["node-c"], order)
	fmt.Fprintf(d.w, "node-c's batch of %s and its reservation on %s (names that hash together: both %s): written together, seq %d and %d\n",
		order, stock, d.where(stock), rs[0].Sequence, rs[1].Sequence)
	return order, nil
}

// batchRefusedWhole has node-a send a batch to order's partition whose
// first item (a reservation) is valid and whose second (the order,
// expected new) is not: nothing of it is written.
func (d *clusterDemo) batchRefusedWhole(ctx context.Context, order string) error {
	stock := "stock/sku-3"
	first, err := typed.Item(d.reg, shop(stock), StockReserved{Order: order, Qty: 2})
	if err != nil {
		return err
	}
	second, err := typed.Item(d.reg, shop(order), OrderPlaced{Desk: 0, SKU: "sku-3", Qty: 2}, typed.Expect(messages.NoStream()))
	if err != nil {
		return err
	}
	_, err = d.member("node-a").AppendBatch(ctx, &messages.AppendBatch{Items: []messages.BatchItem{first, second}})
	var be *messages.BatchError
	if !errors.Is(err, messages.ErrVersionConflict) || !errors.As(err, &be) {
		return fmt.Errorf("a batch placing %s again: want a version conflict, got %v", order, err)
	}
	evs, err := d.member("node-b").Stream(ctx, shop(stock), 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "node-a's batch of another reservation on %s and %s again, expected new: refused whole at item %d (ErrVersionConflict); %s still has %s\n",
		stock, order, be.Item, stock, plural(len(evs), "event"))
	return nil
}

// batchAcrossPartitions has node-a send a batch whose entities lie in two
// partitions: refused before anything is sent.
func (d *clusterDemo) batchAcrossPartitions(ctx context.Context) error {
	order, mail := crossPair("node-a")
	items, err := d.orderItems(order, mail)
	if err != nil {
		return err
	}
	_, err = d.member("node-a").AppendBatch(ctx, &messages.AppendBatch{Items: items})
	var cpe *partition.CrossPartitionError
	if !errors.Is(err, partition.ErrCrossPartitionBatch) || !errors.As(err, &cpe) {
		return fmt.Errorf("a batch of %s (%s) and %s (%s): want ErrCrossPartitionBatch, got %v", order, d.where(order), mail, d.where(mail), err)
	}
	evs, err := d.member("node-b").Stream(ctx, shop(order), 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "node-a's batch of %s (%s) and %s (%s): refused before anything was sent, ErrCrossPartitionBatch (partitions %v); %s has %s\n",
		order, d.where(order), mail, d.where(mail), cpe.Partitions, order, plural(len(evs), "event"))
	return nil
}

// crossPair is an order of member, after the ones it places, and its
// mail, that hash to different partitions.
func crossPair(member string) (order, mail string) {
	n := len(clusterOwners)
	for i := 9; ; i++ {
		order, mail = orderName(member, i), strings.Replace(orderName(member, i), "order/", "mail/", 1)
		if partition.PartitionOf(order, n) != partition.PartitionOf(mail, n) {
			return order, mail
		}
	}
}

// siblingOrder is the first order name of member, after the ones it
// placed, that hashes to partition k.
func siblingOrder(member string, k int) string {
	for i := ordersPerMember + 1; ; i++ {
		if e := orderName(member, i); partition.PartitionOf(e, len(clusterOwners)) == k {
			return e
		}
	}
}

// orderItems is a batch: an order, and a second event on other (a stock
// reservation or a mail) caused by it.
func (d *clusterDemo) orderItems(order, other string) ([]messages.BatchItem, error) {
	first, err := typed.Item(d.reg, shop(order), OrderPlaced{Desk: 2, SKU: "sku-3", Qty: 1})
	if err != nil {
		return nil, err
	}
	var v any = StockReserved{Order: order, Qty: 1}
	if strings.HasPrefix(other, "mail/") {
		v = MailQueued{Order: order, Template: "confirmation"}
	}
	second, err := typed.Item(d.reg, shop(other), v, typed.CausedByItem(0))
	if err != nil {
		return nil, err
	}
	return []messages.BatchItem{first, second}, nil
}
