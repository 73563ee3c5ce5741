package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// stormProducer appends n events one at a time and reports each reply.
type stormProducer struct {
	writer  *actor.PID
	entity  string
	n, i    int
	replies chan<- *messages.AppendReply
}

func (p *stormProducer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		p.send(ctx)
	case *messages.AppendReply:
		p.replies <- m
		if p.i++; p.i < p.n {
			p.send(ctx)
		}
	}
}

func (p *stormProducer) send(ctx actor.Context) {
	ctx.Request(p.writer, &messages.Append{Coordinate: coord(p.entity), Kind: kind, Payload: []byte(fmt.Sprint(p.i))})
}

// A crash every 50 appends while 64 actors append: every request gets a
// receipt or ErrWriterCrashed within the bound, every receipt survives,
// each crash is one restart span; the crash after the budget stops the
// writer and requests fail at once.
func TestCrashStormUnderLoad(t *testing.T) {
	const actorsN, each, every, crashes = 64, 20, 50, 4
	f := spawn(t, Config{Policy: supervision.Bounded(crashes, time.Minute)})
	f.sys.Root.Send(f.store.Writer(), &faults.PanicEvery{N: every, Times: crashes})
	replies := make(chan *messages.AppendReply, actorsN*each)
	for i := 0; i < actorsN; i++ {
		entity := fmt.Sprintf("storm%d", i)
		f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &stormProducer{writer: f.store.Writer(), entity: entity, n: each, replies: replies}
		}))
	}
	var receipts []messages.Receipt
	crashed := 0
	bound := time.After(30 * time.Second)
	for i := 0; i < actorsN*each; i++ {
		select {
		case r := <-replies:
			if r.Err() != nil {
				require.ErrorIs(t, r.Err(), messages.ErrWriterCrashed)
				crashed++
			} else {
				receipts = append(receipts, r.Receipt)
			}
		case <-bound:
			t.Fatalf("only %d of %d requests answered within the bound", i, actorsN*each)
		}
	}
	t.Logf("%d receipts, %d WriterCrashed replies, %d restarts", len(receipts), crashed, f.store.Restarts())
	require.Positive(t, crashed)
	require.Equal(t, crashes, f.store.Restarts())
	require.Len(t, spansNamed(f.recorder, supervision.SpanRestart), crashes)
	for _, r := range receipts {
		ev, err := f.store.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r.Hash, ev.Hash)
	}

	// One crash more spends the budget: requests fail fast from then on.
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "over budget"})
	require.Eventually(t, func() bool { return f.store.sh.stopped.Load() != nil }, 5*time.Second, time.Millisecond)
	require.Len(t, spansNamed(f.recorder, supervision.SpanStopped), 1)
	for i := 0; i < 10; i++ {
		start := time.Now()
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("late"), Kind: kind})
		require.ErrorIs(t, err, messages.ErrWriterStopped)
		require.Less(t, time.Since(start), time.Second, "fails fast")
	}

	// Every acknowledged event survives a reopen, and the chains verify.
	require.NoError(t, f.store.Close(ctx(t)))
	e, err := storage.Open(f.dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	for _, r := range receipts {
		ev, err := e.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r.Sequence, ev.Sequence)
	}
	rep, err := e.Verify()
	require.NoError(t, err)
	require.Equal(t, len(receipts), rep.Events, "nothing unacknowledged survived the crashes")
}
