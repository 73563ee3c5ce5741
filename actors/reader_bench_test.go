package actors

import (
	"context"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// Paged reads through the reader actor, each op one whole read page by
// page until End (the events of 256 B over benchEntities entities):
//
//	go test ./actors -run '^$' -bench ReaderPages -benchtime 20x
func BenchmarkReaderPages(b *testing.B) {
	const events = 20_000
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	payload := make([]byte, benchPayload)
	for i := 0; i < events; i += 1000 {
		items := make([]messages.BatchItem, 1000)
		for j := range items {
			items[j] = messages.BatchItem{Coordinate: benchCoords[(i+j)%20], Kind: benchKind, Payload: payload}
		}
		if _, err := s.AppendBatch(context.Background(), &messages.AppendBatch{Items: items}); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct {
		name string
		req  func() any
		want int
	}{
		{"query/forward/page=1000", func() any { return &messages.ReadQuery{} }, events},
		{"query/backward/page=1000", func() any { return &messages.ReadQuery{Backward: true} }, events},
		{"stream/forward/page=100", func() any { return &messages.ReadStream{Coordinate: benchCoords[0], Limit: 100} }, events / 20},
		{"stream/backward/page=100", func() any {
			return &messages.ReadStream{Coordinate: benchCoords[0], Backward: true, Limit: 100}
		}, events / 20},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(tc.want * benchPayload))
			for b.Loop() {
				req, n := tc.req(), 0
				for {
					res, err := sys.Root.RequestFuture(s.Reader(), req, 30*time.Second).Result()
					r, ok := res.(*messages.ReadReply)
					if err != nil || !ok || r.Err() != nil {
						b.Fatalf("read: %v %T", err, res)
					}
					n += len(r.Events)
					if r.End {
						break
					}
					moveTo(req, r.Next)
				}
				if n != tc.want {
					b.Fatalf("read %d events, want %d", n, tc.want)
				}
			}
			b.ReportMetric(float64(tc.want)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
