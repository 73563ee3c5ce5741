//go:build !race

package main

import (
	"context"
	"testing"
	"time"
)

// The cluster benchmarks' fixture works: a short cell through every
// member of a 3-member cluster appends what it counts, every event in the
// partitions, with traffic on the remote connections; the local store's
// cell too; and a measured stop gets ErrPartitionUnavailable from both
// probes while the load through the other members succeeds, after which
// the stopped member restarts on its directory with its events.
// (go test -run ClusterBenchFixture: without -race, see
// cluster_fixture_test.go.)
func TestClusterBenchFixture(t *testing.T) {
	c, err := startCluster("check", 3, 6, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeOrFail(t, c.Close)
	w0 := c.wire.bytes()
	r, err := runCell(context.Background(), 8, 50*time.Millisecond, c.appendOp)
	if err != nil {
		t.Fatal(err)
	}
	if r.ops == 0 || r.summary().P50 <= 0 {
		t.Fatalf("%d appends, p50 %v", r.ops, r.summary().P50)
	}
	if w := c.wire.bytes() - w0; w < int64(r.ops)*256/2 {
		t.Fatalf("%d bytes on the wire for %d appends of 256 bytes, 2/3 of them remote", w, r.ops)
	}
	if got, err := c.events(); err != nil || got != r.ops {
		t.Fatalf("the partitions hold %d events (%v), the cell appended %d", got, err, r.ops)
	}

	local, err := openLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeOrFail(t, local.Close)
	lr, err := runCell(context.Background(), 8, 50*time.Millisecond, local.appendOp)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := local.store.Stats(); err != nil || st.Events != lr.ops {
		t.Fatalf("the store holds %+v (%v), the cell appended %d", st, err, lr.ops)
	}

	s, err := measureStop(c, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s.toUnavailable <= 0 || len(s.firstAnswer) != 2 || s.answers.Percentile(0.5) <= 0 || s.loadOps == 0 {
		t.Fatalf("stop measured %+v", s)
	}
	if err := c.start(2); err != nil {
		t.Fatal(err)
	}
	if err := c.waitAvailable(); err != nil {
		t.Fatal(err)
	}
	got, err := c.events()
	if err != nil {
		t.Fatal(err)
	}
	if got < r.ops+s.loadOps {
		t.Fatalf("after the restart the partitions hold %d events, at least %d were appended", got, r.ops+s.loadOps)
	}
}
