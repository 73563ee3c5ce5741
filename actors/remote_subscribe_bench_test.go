package actors

import (
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// BenchmarkFanoutLocalSubscribers measures the fanout's delivery of
// commit groups (of 8 events) to 8 local subscribers, the path remote
// subscriptions must leave as fast as it was: one op is one group handed
// to the fanout and delivered to every subscriber.
func BenchmarkFanoutLocalSubscribers(b *testing.B) {
	const subscribers, group = 8, 8
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx0())
	want := int64(b.N) * subscribers * group
	c := &doneCounter{want: want, done: make(chan struct{})}
	for i := 0; i < subscribers; i++ {
		if _, _, err := s.Subscribe(actor.PropsFromProducer(func() actor.Actor { return c }), storage.Filter{}, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
	events := make([]messages.Event, group)
	for i := range events {
		events[i] = messages.Event{Sequence: uint64(i), Coordinate: coord("e"), Kind: kind}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sys.Root.Send(s.Fanout(), &committed{events: events})
	}
	<-c.done
	b.StopTimer()
	if s.Gaps() > 0 {
		b.Fatal("a subscriber's queue overflowed")
	}
}

// doneCounter counts the events its subscribers get and closes done at
// want.
type doneCounter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *doneCounter) Receive(ctx actor.Context) {
	if m, ok := ctx.Message().(*messages.Notification); ok && c.n.Add(int64(len(m.Events))) == c.want {
		close(c.done)
	}
}
