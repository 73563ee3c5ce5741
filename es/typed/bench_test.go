package typed_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"

	"github.com/asynkron/protoactor-go/actor"
)

// benchEvent is a typical small event: ~256 bytes encoded.
type benchEvent struct {
	Account string `msgpack:"account"`
	Cents   int64  `msgpack:"cents"`
	Memo    string `msgpack:"memo"`
	Tags    []string
}

// BenchmarkTypedAppend compares a typed append (typed.Append: registry
// lookup, envelope, msgpack encode, then Store.Append) with the same
// untyped append through the actors, from concurrent producers, in two
// forms: Store.Append of the already-encoded payload, one buffer reused for
// every append (typed/untyped), and of a fresh copy of those bytes per
// append, as an application that encodes its own payloads makes them
// (typed/untyped-fresh: the target, <= 1.10). The three run in
// rotating chunks of the same run, so drift hits all alike.
//
//	go test ./es/typed -run '^$' -bench TypedAppend -benchtime 20000x
func BenchmarkTypedAppend(b *testing.B) {
	for _, mode := range []storage.SyncMode{storage.SyncNone, storage.SyncEveryCommit} {
		for _, producers := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync=%s/producers=%d", mode, producers), func(b *testing.B) {
				benchTypedAppend(b, mode, producers)
			})
		}
	}
}

func benchTypedAppend(b *testing.B, mode storage.SyncMode, producers int) {
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	s, err := actors.Spawn(sys, actors.Config{Dir: b.TempDir(), Storage: storage.Options{SyncMode: mode}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	r := typed.NewRegistry()
	typed.MustRegister[benchEvent](r, messages.MustKind(1, 1), "bench.event", 1)
	v := benchEvent{Account: "account-0042", Cents: 123456, Memo: strings.Repeat("m", 180), Tags: []string{"a", "b"}}
	kind, payload, err := typed.Encode(r, v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	ctx := context.Background()
	coords := make([]messages.Coordinate, producers)
	for i := range coords {
		coords[i] = messages.Coordinate{Entity: fmt.Sprintf("e-%d", i), Scope: "bench"}
	}
	untyped := func(p int) error {
		_, err := s.Append(ctx, &messages.Append{Coordinate: coords[p], Kind: kind, Payload: payload})
		return err
	}
	// untypedFresh is the untyped append as an application makes it: each
	// event's payload in bytes of its own (here a copy of the same bytes),
	// not one buffer reused for every append.
	untypedFresh := func(p int) error {
		_, err := s.Append(ctx, &messages.Append{Coordinate: coords[p], Kind: kind, Payload: bytes.Clone(payload)})
		return err
	}
	typedOne := func(p int) error {
		a, err := typed.Append(r, coords[p], v)
		if err != nil {
			return err
		}
		_, err = s.Append(ctx, a)
		return err
	}
	chunk := func(n int, op func(int) error) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for p := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := p; i < n; i += producers {
					if err := op(p); err != nil {
						mu.Lock()
						first = err
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		if first != nil {
			b.Fatal(first)
		}
		return time.Since(start)
	}
	ops := []func(int) error{untyped, untypedFresh, typedOne}
	took := make([]time.Duration, len(ops))
	b.ResetTimer()
	for round, done := 0, 0; done < b.N; round++ {
		n := min(64, b.N-done)
		for j := range ops { // rotate which goes first
			k := (round + j) % len(ops)
			took[k] += chunk(n, ops[k])
		}
		done += n
	}
	b.StopTimer()
	tu, tf, tt := took[0], took[1], took[2]
	b.ReportMetric(float64(tu.Nanoseconds())/float64(b.N), "untyped-ns/append")
	b.ReportMetric(float64(tf.Nanoseconds())/float64(b.N), "untyped-fresh-ns/append")
	b.ReportMetric(float64(tt.Nanoseconds())/float64(b.N), "typed-ns/append")
	b.ReportMetric(float64(tt)/float64(tu), "typed/untyped")
	b.ReportMetric(float64(tt)/float64(tf), "typed/untyped-fresh")
}

// BenchmarkEncodeDecode is the typed codec alone, per value.
//
//	go test ./es/typed -run '^$' -bench EncodeDecode -benchmem
func BenchmarkEncodeDecode(b *testing.B) {
	r := typed.NewRegistry()
	typed.MustRegister[benchEvent](r, messages.MustKind(1, 1), "bench.event", 1)
	v := benchEvent{Account: "account-0042", Cents: 123456, Memo: strings.Repeat("m", 180), Tags: []string{"a", "b"}}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := typed.Encode(r, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	kind, payload, _ := typed.Encode(r, v)
	ev := messages.Event{Kind: kind, Payload: payload}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := typed.DecodeAs[benchEvent](r, ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
