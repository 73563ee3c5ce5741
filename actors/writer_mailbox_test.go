package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// recordingInvoker records what a mailbox hands it, in order; a user
// message "boom" panics, one with a hook runs it first.
type recordingInvoker struct {
	got       []any
	escalated []any
	hooks     map[any]func()
	delivered chan any // if set, every delivery is sent here too
}

func (r *recordingInvoker) record(msg any) {
	if h := r.hooks[msg]; h != nil {
		h()
	}
	r.got = append(r.got, msg)
	if r.delivered != nil {
		r.delivered <- msg
	}
}

func (r *recordingInvoker) InvokeSystemMessage(msg any) { r.record(msg) }
func (r *recordingInvoker) InvokeUserMessage(msg any) {
	if msg == "boom" {
		panic("boom")
	}
	r.record(msg)
}
func (r *recordingInvoker) EscalateFailure(reason, msg any) {
	r.escalated = append(r.escalated, reason, msg)
}

func testMailbox(t *testing.T, cfg Config) (*writerMailbox, *recordingInvoker) {
	t.Helper()
	cfg.Dir = t.TempDir()
	sh := newShared(cfg.withDefaults())
	m := newWriterMailbox(newAdmission(sh))
	inv := &recordingInvoker{hooks: map[any]func(){}}
	m.RegisterHandlers(inv, nil)
	return m, inv
}

// System messages go first, each queue in its order; suspend holds user
// messages (not system ones) until resume; a panic is escalated with its
// message and the next message is delivered. (drain is what the mailbox's
// goroutine runs; here the test runs it.)
func TestWriterMailboxOrder(t *testing.T) {
	m, inv := testMailbox(t, Config{})
	m.PostUserMessage("u1")
	m.PostUserMessage("u2")
	m.PostSystemMessage("s1")
	m.PostSystemMessage("s2")
	m.drain()
	require.Equal(t, []any{"s1", "s2", "u1", "u2"}, inv.got)

	inv.got = nil
	m.PostSystemMessage(&actor.SuspendMailbox{})
	m.PostUserMessage("held")
	m.PostSystemMessage("s3")
	m.drain()
	require.Equal(t, []any{"s3"}, inv.got, "system messages pass a suspended mailbox")
	require.Equal(t, 1, m.UserMessageCount())
	m.PostSystemMessage(&actor.ResumeMailbox{})
	m.drain()
	require.Equal(t, []any{"s3", "held"}, inv.got)
	require.Zero(t, m.UserMessageCount())

	inv.got = nil
	m.PostUserMessage("boom")
	m.PostUserMessage("after")
	m.drain()
	require.Equal(t, []any{"boom", "boom"}, inv.escalated, "escalated with its message")
	require.Equal(t, []any{"after"}, inv.got)
}

// A message posted while one is being handled waits for it (one message at
// a time), and FIFO order holds across many posts and ring growth.
func TestWriterMailboxFIFO(t *testing.T) {
	m, inv := testMailbox(t, Config{})
	const n = 5000
	inv.hooks[0] = func() {
		for i := 1; i < n; i++ {
			m.PostUserMessage(i) // while 0 is being handled
		}
	}
	m.PostUserMessage(0)
	m.drain()
	require.Len(t, inv.got, n)
	for i, v := range inv.got {
		require.Equal(t, i, v)
	}
	require.Nil(t, m.user.buf, "an empty queue gives a large buffer back")
}

// Appends are counted in when posted and out when taken; one that does not
// fit is refused at once and never queued.
func TestWriterMailboxAdmission(t *testing.T) {
	m, inv := testMailbox(t, Config{MaxQueuedEvents: 2})
	app := func() any { return &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: make([]byte, 10)} }
	m.PostUserMessage(app())
	m.PostUserMessage(&actor.MessageEnvelope{Message: app()})
	m.PostUserMessage(app()) // no sender: dropped
	m.PostUserMessage("other")
	require.Equal(t, int64(2), m.adm.depth.events.Load())
	require.Equal(t, int64(20), m.adm.depth.bytes.Load())
	require.Equal(t, int64(1), m.adm.depth.dropped.Load())
	m.drain()
	require.Len(t, inv.got, 3)
	require.Zero(t, m.adm.depth.events.Load())
	require.Zero(t, m.adm.depth.bytes.Load())
}

// The mailbox's goroutine delivers what is posted, ends once the writer
// has stopped and the mailbox is idle, and a message that comes later is
// still delivered.
func TestWriterMailboxGoroutineEnds(t *testing.T) {
	m, inv := testMailbox(t, Config{})
	inv.delivered = make(chan any, 4)
	inv.hooks["stopped"] = m.stop // as the writer does at its Stopped
	m.Start()
	m.PostUserMessage("a")
	require.Equal(t, "a", <-inv.delivered)
	select {
	case <-m.done:
		t.Fatal("ended before the writer stopped")
	default:
	}
	m.PostUserMessage("stopped")
	require.Equal(t, "stopped", <-inv.delivered)
	waitClosed(t, m.done, "the mailbox's goroutine")
	m.PostUserMessage("late")
	require.Equal(t, "late", <-inv.delivered)
}

// waitClosed fails the test if ch is not closed within a generous bound
// (a failure bound, not a synchronisation: a passing run never waits it).
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not end", what)
	}
}

// Through a store: the writer's mailbox keeps one goroutine across writer
// restarts (requests after a restart are served), and Close ends it.
func TestWriterMailboxGoroutineOutlivesRestartsEndsAtClose(t *testing.T) {
	f := spawn(t, Config{Policy: supervision.Bounded(3, time.Minute)})
	mb := f.store.sh.mailbox
	for i := 0; i < 2; i++ {
		f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "restart"})
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
		require.NoError(t, err)
	}
	require.Equal(t, 2, f.store.Restarts())
	require.Same(t, mb, f.store.sh.mailbox, "restarts keep the mailbox")
	select {
	case <-mb.done:
		t.Fatal("the goroutine ended at a restart")
	default:
	}
	require.NoError(t, f.store.Close(ctx(t)))
	waitClosed(t, mb.done, "the writer mailbox's goroutine")
}
