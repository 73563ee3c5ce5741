package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

// clusterDemo is one run of -cluster: three members of one partitioned
// store (package partition) in this process, and what the story keeps
// between its scenes.
type clusterDemo struct {
	t   *trio
	w   io.Writer
	reg *typed.Registry
	// placed are the orders each member placed (acknowledged), by member.
	placed map[string][]string
	// receipts are the placed orders' receipts, by entity.
	receipts map[string]messages.Receipt
	// before is what each of downMember's partitions held when it
	// stopped (events), by partition.
	before map[int]int
	// refused are the orders refused during the outage, placed again
	// once their owner is back.
	refused []refusal
}

// runCluster runs the -cluster story: members join, append and read from
// each other, batches within and across partitions, a scatter-gather read
// by correlation, a member stopped and restarted on its directory, and a
// summary per partition.
func runCluster(ctx context.Context, out io.Writer, dir string) (err error) {
	if err := clearCluster(dir); err != nil {
		return err
	}
	root := filepath.Join(dir, clusterDir)
	d := &clusterDemo{t: newTrio(root), w: out, reg: newRegistry(), placed: map[string][]string{}, receipts: map[string]messages.Receipt{}}
	defer func() { err = errors.Join(err, d.t.close(context.WithoutCancel(ctx))) }()
	fmt.Fprintf(out, "cluster: %d members in one process (%s), each its own actor system and loopback remote, joined through protoactor's in-memory test provider; data in %s\n",
		len(memberNames), strings.Join(memberNames, ", "), root)
	fmt.Fprintf(out, "%d partitions, each a batpak store on its owner: %s; an entity's partition is PartitionOf(entity) = FNV-1a 64 of its name mod %d\n",
		len(clusterOwners), ownersLine(), len(clusterOwners))
	for _, scene := range []func(context.Context) error{d.join, d.placeOrders, d.readBack, d.batches, d.scatter, d.outage, d.restart, d.summary} {
		if err := scene(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ownersLine lists the partitions' owners: "p0 node-a, p1 node-b, ...".
func ownersLine() string {
	parts := make([]string, len(clusterOwners))
	for k, o := range clusterOwners {
		parts[k] = fmt.Sprintf("p%d %s", k, o)
	}
	return strings.Join(parts, ", ")
}

// join starts the three members and waits until each sees every
// partition available.
func (d *clusterDemo) join(ctx context.Context) error {
	began := time.Now()
	if err := d.t.startAll(memberNames...); err != nil {
		return err
	}
	if err := d.t.waitAvailable(ctx, memberNames...); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "members joined in %s (protoactor's StartMember waits 1 s); each sees all %d partitions available\n", round(time.Since(began)), len(clusterOwners))
	return nil
}

// member returns the running member name.
func (d *clusterDemo) member(name string) *partition.Member { return d.t.members[name] }

// where says where an entity lives: "p4 on node-b".
func (d *clusterDemo) where(entity string) string {
	k := partition.PartitionOf(entity, len(clusterOwners))
	return fmt.Sprintf("p%d on %s", k, clusterOwners[k])
}
