//go:build !race

// protoactor's remote.Start sets gRPC's global logger (grpclog.SetLoggerV2)
// every time it runs, while the gRPC server of a remote started before is
// reading it: two nodes in one process are a data race by construction,
// inside protoactor and gRPC, so the race detector fails any test that
// starts two. This test runs without -race (go test -run RemoteBenchFixture).

package main

import (
	"context"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
)

// The benchmark's fixture works: B reaches A's echo actor and the store's
// writer over remote, A's own appends land, and a short cell of each kind
// counts every operation it made, all of them in the store.
func TestRemoteBenchFixture(t *testing.T) {
	p, err := newRemotePair(actors.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	appended := 0
	for _, c := range remoteCells(p) {
		r, err := runCell(context.Background(), c.senders, 50*time.Millisecond, c.op)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.ops == 0 || r.summary().P50 <= 0 {
			t.Fatalf("%s: %d ops, p50 %v", c.name, r.ops, r.summary().P50)
		}
		if c.appends {
			appended += r.ops
		}
	}
	st, err := p.a.store.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != appended {
		t.Fatalf("store holds %d events, the cells appended %d", st.Events, appended)
	}
}
