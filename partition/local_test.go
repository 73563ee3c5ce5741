package partition

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// localAddress is the address the local test member's actor system
// answers to (it has no remote: its PIDs with this address are local).
const localAddress = "127.0.0.1:1"

// localMember builds a Member without a remote or a cluster provider: its
// own partitions' stores and fronts in one actor system, a cluster value
// whose identity lookup is the member's, and a topology in which the
// member named name is live at localAddress. It exercises the routing
// (lookup, request, error mapping, fronts) in one process; the child-process
// tests of the external test package run the same code over protoactor
// remote.
func localMember(t *testing.T, owners []string, name string, sc actors.Config) *Member {
	t.Helper()
	sys := actor.NewActorSystem(actors.SystemLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	sys.ProcessRegistry.Address = localAddress
	cfg := Config{ClusterName: "local", Owners: owners, Name: name, Dir: t.TempDir(), Create: true, Store: sc, System: sys}.withDefaults()
	m := &Member{cfg: cfg, n: len(owners), sys: sys, stores: map[int]*actors.Store{}}
	require.NoError(t, m.openPartitions())
	m.lk = newLookup(owners, nil)
	m.c = &cluster.Cluster{ActorSystem: sys, IdentityLookup: m.lk}
	m.lk.observe([]*cluster.Member{{Id: "self", Host: "127.0.0.1", Port: 1, Kinds: []string{memberKind(name)}}})
	t.Cleanup(func() { _ = m.closeLocal(context.Background()); sys.Shutdown() })
	return m
}

func lctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// entityOf returns an entity of partition k of n.
func entityOf(k, n int) string {
	for i := 0; ; i++ {
		if e := "e/" + string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260)); PartitionOf(e, n) == k {
			return e
		}
	}
}

func TestLocalMemberRoutesToItsPartitions(t *testing.T) {
	m := localMember(t, []string{"a", "x", "a"}, "a", actors.Config{})
	require.NotNil(t, m.LocalStore(0))
	require.Nil(t, m.LocalStore(1))
	require.NotNil(t, m.LocalStore(2))
	require.Equal(t, "x", m.Owner(1))
	require.Equal(t, "", m.Owner(3), "no partition 3: no owner, no panic")
	require.Equal(t, "", m.Owner(-1))
	var prev messages.ID
	for _, k := range []int{0, 2} {
		e := entityOf(k, 3)
		r, err := m.Append(lctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: e, Scope: "s"}, Kind: messages.MustKind(1, 1), CausationID: prev})
		require.NoError(t, err)
		ev, err := m.LocalStore(k).Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, e, ev.Coordinate.Entity)
		require.Equal(t, prev, ev.CausationID, "a cause in another partition is just an id")
		prev = r.EventID
	}
	// Following causation stops at the partition's edge.
	up, err := m.LocalStore(2).Ancestors(prev, 0)
	require.NoError(t, err)
	require.Empty(t, up)
	// Partition 1's owner x is not live: answered at once.
	_, err = m.Append(lctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: entityOf(1, 3), Scope: "s"}, Kind: messages.MustKind(1, 1)})
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, UnavailableError{Partition: 1, Owner: "x", Reason: `no live member of the cluster is named "x"`}, *ue)
}

// silent is a front that never answers.
type silent struct {
	got  chan struct{} // closed at the first request
	once sync.Once
}

func (s *silent) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *messages.Append, *messages.ReadStream:
		s.once.Do(func() { close(s.got) })
	}
}

// TestOwnerLeavingInFlight: a request in flight when its partition's owner
// leaves the cluster (or moves) is answered at once with
// ErrPartitionUnavailable; for an append also messages.ErrOutcomeUnknown,
// since it may have been written.
func TestOwnerLeavingInFlight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after []*cluster.Member
		read  bool
	}{
		{"leaves", nil, false},
		{"moves", []*cluster.Member{{Id: "2", Host: "10.9.9.9", Port: 7, Kinds: []string{memberKind("x")}}}, false},
		{"leaves during a read", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := localMember(t, []string{"a", "x"}, "a", actors.Config{})
			s := &silent{got: make(chan struct{})}
			_, err := m.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return s }), frontName(1))
			require.NoError(t, err)
			m.lk.observe([]*cluster.Member{{Id: "self", Host: "127.0.0.1", Port: 1, Kinds: []string{memberKind("a"), memberKind("x")}}})

			errs := make(chan error, 1)
			c := messages.Coordinate{Entity: entityOf(1, 2), Scope: "s"}
			go func() {
				var err error
				if tc.read {
					_, err = m.ReadStream(lctx(t), &messages.ReadStream{Coordinate: c})
				} else {
					_, err = m.Append(lctx(t), &messages.Append{Coordinate: c, Kind: messages.MustKind(1, 1)})
				}
				errs <- err
			}()
			<-s.got // in flight, delivered, unanswered
			at := time.Now()
			m.lk.observe(tc.after)
			err = <-errs
			require.Less(t, time.Since(at), 5*time.Second)
			require.ErrorIs(t, err, ErrPartitionUnavailable)
			require.Equal(t, !tc.read, errors.Is(err, messages.ErrOutcomeUnknown), "an append's outcome is unknown, a read's is not")
			require.ErrorContains(t, err, "in flight")
		})
	}
}

// TestNoReplyIsADeadlineNotUnavailable: an owner that stays live but does
// not answer in time is a request timeout (outcome unknown), not an
// unavailable partition.
func TestNoReplyIsADeadlineNotUnavailable(t *testing.T) {
	m := localMember(t, []string{"a"}, "a", actors.Config{})
	require.NoError(t, m.sys.Root.StopFuture(m.fronts[0]).Wait())
	s := &silent{got: make(chan struct{})}
	_, err := m.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return s }), frontName(0))
	require.NoError(t, err)
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = m.Append(c, &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, errors.Is(err, ErrPartitionUnavailable))
}

// stoppedWriter is a front whose store answers that its writer stopped
// for good.
type stoppedWriter struct{}

func (stoppedWriter) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *messages.Append:
		ctx.Respond(&messages.AppendReply{Failure: &messages.Error{Code: messages.CodeWriterStopped, Message: "spent"}})
	case *messages.ReadQuery:
		ctx.Respond(&messages.ErrorReply{Failure: &messages.Error{Code: messages.CodeClosed, Message: "closed"}})
	}
}

// TestClosedOrStoppedStoreIsUnavailable: a partition whose store is closed
// or stopped for good is unavailable; the error keeps the store's own.
func TestClosedOrStoppedStoreIsUnavailable(t *testing.T) {
	m := localMember(t, []string{"a"}, "a", actors.Config{})
	require.NoError(t, m.sys.Root.StopFuture(m.fronts[0]).Wait())
	_, err := m.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return stoppedWriter{} }), frontName(0))
	require.NoError(t, err)
	_, err = m.Append(lctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)})
	require.ErrorIs(t, err, ErrPartitionUnavailable)
	require.ErrorIs(t, err, messages.ErrWriterStopped)
	_, err = m.Query(lctx(t), Filter{})
	require.ErrorIs(t, err, ErrPartitionUnavailable)
	require.ErrorIs(t, err, messages.ErrClosed)
}

// TestAppendOverloadedComesBackAsIs: appends reach the partition's writer
// as an actor's requests do, so a full admission queue answers
// messages.ErrOverloaded at once (Member.Append does not wait for room as
// actors.Store.Append does); nothing of a refused append is written.
func TestAppendOverloadedComesBackAsIs(t *testing.T) {
	m := localMember(t, []string{"a"}, "a", actors.Config{MaxQueuedEvents: 1})
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		ok, overloaded     int
		acked              []messages.ID
		kindA              = messages.MustKind(1, 1)
		unexpectedFailures []error
	)
	for i := range 200 {
		wg.Go(func() {
			r, err := m.Append(lctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: "hot", Scope: "s"}, Kind: kindA, Payload: []byte{byte(i)}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				acked = append(acked, r.EventID)
			case errors.Is(err, messages.ErrOverloaded):
				overloaded++
			default:
				unexpectedFailures = append(unexpectedFailures, err)
			}
		})
	}
	wg.Wait()
	require.Empty(t, unexpectedFailures)
	require.Positive(t, overloaded)
	t.Logf("%d appended, %d overloaded", ok, overloaded)
	evs, err := m.LocalStore(0).Stream(messages.Coordinate{Entity: "hot", Scope: "s"}, 1)
	require.NoError(t, err)
	require.Len(t, evs, ok)
}

// TestAppendCarriesTheSpan: the span in Append's context becomes the
// parent of the partition writer's batpak.append span.
func TestAppendCarriesTheSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	m := localMember(t, []string{"a"}, "a", actors.Config{TracerProvider: tp})
	c, span := tp.Tracer("test").Start(lctx(t), "caller")
	_, err := m.Append(c, &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)})
	require.NoError(t, err)
	_, err = m.AppendBatch(c, &messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)}}})
	require.NoError(t, err)
	span.End()
	n := 0
	for _, s := range rec.Ended() {
		if s.Name() == actors.SpanAppend {
			require.Equal(t, span.SpanContext().TraceID(), s.Parent().TraceID())
			require.Equal(t, span.SpanContext().SpanID(), s.Parent().SpanID())
			n++
		}
	}
	require.Equal(t, 2, n)
}

func TestClosedMemberAnswersErrClosed(t *testing.T) {
	m := localMember(t, []string{"a"}, "a", actors.Config{})
	m.closed.Store(true)
	_, err := m.Append(lctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)})
	require.ErrorIs(t, err, messages.ErrClosed)
	_, err = m.Query(lctx(t), Filter{})
	require.ErrorIs(t, err, messages.ErrClosed)
}
