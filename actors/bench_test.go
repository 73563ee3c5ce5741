package actors

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/benchutil"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Durable appends through the writer actor, from concurrent requesting
// actors, next to the disk's own limit (write+fdatasync of one 256-byte
// record) measured in the same run:
//
//	go test ./actors -run '^$' -bench ActorAppend -benchtime 5s
const (
	benchPayload  = 256
	benchEntities = 1000
)

func BenchmarkActorAppend(b *testing.B) {
	b.Run(fmt.Sprintf("baseline=fdatasync/records=1/payload=%d", benchPayload), func(b *testing.B) {
		benchutil.FdatasyncLoop(b, 1, benchPayload)
	})
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("requesters=%d/payload=%d/subscribers=0", n, benchPayload), func(b *testing.B) {
			runRequesters(b, n, 0)
		})
	}
	b.Run(fmt.Sprintf("requesters=256/payload=%d/subscribers=8", benchPayload), func(b *testing.B) {
		runRequesters(b, 256, 8)
	})
}

// requester is an application actor that appends its quota one request at
// a time (the next one leaves when the previous receipt arrives).
type requester struct {
	writer  *actor.PID
	first   int // its first entity
	n, i    int
	payload []byte
	sent    time.Time
	lat     benchutil.Latency
	failed  *atomic.Int64
	done    chan<- *benchutil.Latency
}

var benchCoords = func() []messages.Coordinate {
	cs := make([]messages.Coordinate, benchEntities)
	for i := range cs {
		cs[i] = messages.Coordinate{Entity: fmt.Sprintf("order/%d", i), Scope: "bench"}
	}
	return cs
}()

var benchKind = messages.MustKind(1, 1)

func (r *requester) send(ctx actor.Context) {
	r.sent = time.Now()
	ctx.Request(r.writer, &messages.Append{Coordinate: benchCoords[(r.first+r.i)%benchEntities], Kind: benchKind, Payload: r.payload})
}

func (r *requester) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if r.n == 0 {
			r.done <- &r.lat
			return
		}
		r.send(ctx)
	case *messages.AppendReply:
		r.lat.Add(time.Since(r.sent))
		if m.Err() != nil {
			r.failed.Add(1)
		}
		if r.i++; r.i < r.n {
			r.send(ctx)
		} else {
			r.done <- &r.lat
		}
	}
}

// counter is a subscriber that counts what it gets.
type counter struct{ events *atomic.Int64 }

func (c *counter) Receive(ctx actor.Context) {
	if n, ok := ctx.Message().(*messages.Notification); ok {
		c.events.Add(int64(len(n.Events)))
	}
}

func runRequesters(b *testing.B, n, subscribers int) {
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	var delivered atomic.Int64
	for i := 0; i < subscribers; i++ {
		if _, _, err := s.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &counter{events: &delivered} }), storage.Filter{}, 0); err != nil {
			b.Fatal(err)
		}
	}
	payload := make([]byte, benchPayload)
	done := make(chan *benchutil.Latency, n)
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < n; i++ {
		quota := b.N / n
		if i < b.N%n {
			quota++
		}
		r := &requester{writer: s.Writer(), first: i * 7, n: quota, payload: payload, failed: &failed, done: done}
		sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))
	}
	var lat benchutil.Latency
	for i := 0; i < n; i++ {
		lat.Merge(<-done)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d appends failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	lat.Report(b)
	st, err := s.Stats()
	if err != nil {
		b.Fatal(err)
	}
	if st.Events != b.N {
		b.Fatalf("store holds %d events, want %d", st.Events, b.N)
	}
	if err := s.Close(ctx0()); err != nil {
		b.Fatal(err)
	}
}
