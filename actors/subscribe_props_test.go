package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// holder blocks on its first notification until released, then reports
// what it received: notifications and gaps.
type holder struct {
	release <-chan struct{}
	got     chan<- any
	held    bool
}

func (h *holder) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.Notification, *messages.Gap:
		if !h.held {
			h.held = true
			<-h.release
		}
		h.got <- m
	}
}

// Subscribe never changes the caller's Props: an actor spawned from them
// afterwards has an ordinary mailbox, not the subscriber's bounded one.
func TestSubscribeLeavesTheCallersPropsAlone(t *testing.T) {
	f := spawn(t, Config{})
	release, got := make(chan struct{}), make(chan any, 16)
	props := actor.PropsFromProducer(func() actor.Actor { return &holder{release: release, got: got} })
	_, _, err := f.store.Subscribe(props, storage.Filter{}, 1)
	require.NoError(t, err)

	plain := f.sys.Root.Spawn(props) // the same props, after Subscribe
	for i := range 3 {
		f.sys.Root.Send(plain, &messages.Notification{Events: []messages.Event{{Sequence: uint64(i)}}})
	}
	close(release)
	for range 3 {
		select {
		case m := <-got:
			_, isNote := m.(*messages.Notification)
			require.True(t, isNote, "an unbounded mailbox delivers every notification, no gap: got %T", m)
		case <-time.After(5 * time.Second):
			t.Fatal("a notification did not arrive")
		}
	}
}

// subscriberParent subscribes a child of its own from its Receive.
type subscriberParent struct {
	store *Store
	got   chan any
	pids  chan *actor.PID
}

func (p *subscriberParent) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		got := p.got
		child := actor.PropsFromFunc(func(c actor.Context) {
			if n, ok := c.Message().(*messages.Notification); ok {
				got <- n
			}
		})
		pid, _, err := p.store.SubscribeFrom(ctx, child, storage.Filter{}, 0)
		if err != nil {
			panic(err)
		}
		p.pids <- pid
	}
}

// SubscribeFrom spawns the subscriber from the caller's context: a child
// of the calling actor, which gets what is committed.
func TestSubscribeFromTheCallersContext(t *testing.T) {
	f := spawn(t, Config{})
	p := &subscriberParent{store: f.store, got: make(chan any, 4), pids: make(chan *actor.PID, 1)}
	parent := f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return p }))
	var child *actor.PID
	select {
	case child = <-p.pids:
	case <-time.After(5 * time.Second):
		t.Fatal("no subscriber")
	}
	require.True(t, strings.HasPrefix(child.Id, parent.Id+"/"), "%s is a child of %s", child.Id, parent.Id)
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("sub"), Kind: kind})
	require.NoError(t, err)
	select {
	case m := <-p.got:
		require.Len(t, m.(*messages.Notification).Events, 1)
	case <-time.After(5 * time.Second):
		t.Fatal("the child subscriber got nothing")
	}
}
