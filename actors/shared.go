package actors

import (
	"sync"

	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"go.opentelemetry.io/otel/trace"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// shared is the state the supervisor, the writer's successive instances
// and the Store see: the current engine (for reads), whether the writer is
// stopped for good, and the restart in progress.
type shared struct {
	cfg     Config
	engine  atomic.Pointer[storage.Engine]
	stopped atomic.Pointer[messages.Error] // set once the writer is gone for good
	closing atomic.Bool
	opened  chan error // the first instance's open result

	sys         *actor.ActorSystem
	fanout      *actor.PID
	subscribers atomic.Int64 // registered with the fanout
	// subMu orders a subscriber's registration (counted, then its first
	// sequence taken) against the writer's publish (see writer.publish).
	subMu   sync.Mutex
	gaps    atomic.Int64 // signalled by subscribers' mailboxes
	fan     fanState     // the fanout's subscriptions; they outlive its instances
	tel     *telemetry
	log     storeLog
	ops     *operator      // the operator's gauges (telemetry_operator.go)
	adm     *admission     // the writer's admission bound, made by writerProps
	mailbox *writerMailbox // the writer's mailbox, made by writerProps

	mu        sync.Mutex
	restart   *supervision.Failure // handed from the strategy to the next instance
	crashed   []trace.Link         // spans of the requests the last crash answered, for its span
	cut       *storage.Position    // where the crashed instance's acknowledged log ends
	lastSeg   uint64               // active segment of the crashed instance
	crashCut  []string             // what the crashed instance cut from its files, for the restart span
	restarts  int
	openOnce  sync.Once
	stopOnce  sync.Once
	stoppedCh chan struct{}
	engineCh  chan struct{} // closed when a new engine replaces the current one

	spans spanMemory // committed events' spans, for their reactions' links; the writer's alone

	storm *faults.Storm // test-only crash storm, nil unless armed; touched by the writer only
}

// setEngine publishes a newly opened engine to readers and wakes those
// waiting for one (reads during a restart).
// The engine it replaces (abandoned by a crashed writer, whose reads went
// on meanwhile) is released.
func (s *shared) setEngine(e *storage.Engine) {
	s.mu.Lock()
	old := s.engine.Swap(e)
	close(s.engineCh)
	s.engineCh = make(chan struct{})
	s.mu.Unlock()
	if old != nil && old != e {
		old.Release()
	}
}

// releaseEngine ends the reads of the current engine (at Close).
func (s *shared) releaseEngine() {
	if e := s.engine.Load(); e != nil {
		e.Release()
	}
}

// engineChange returns a channel closed at the next setEngine.
func (s *shared) engineChange() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.engineCh
}

func newShared(cfg Config) *shared {
	return &shared{cfg: cfg, opened: make(chan error, 1), stoppedCh: make(chan struct{}),
		engineCh: make(chan struct{}), tel: newTelemetry(cfg), log: newStoreLog(cfg), ops: newOperator(cfg)}
}

// stop records that the writer is gone for good, with the reason later
// requests are answered with.
func (s *shared) stop(reason *messages.Error) {
	s.stopOnce.Do(func() {
		s.stopped.Store(reason)
		close(s.stoppedCh)
	})
}

// endForGood stops the writer for good with reason and tells every
// subscriber through the fanout.
func (s *shared) endForGood(reason *messages.Error) {
	s.stop(reason)
	s.sys.Root.Send(s.fanout, &ended{err: reason})
}

func (s *shared) reportOpen(err error) {
	s.openOnce.Do(func() { s.opened <- err })
}

// noteCrashed remembers the spans of a group's requests that a crash
// answered, so that the failure's span (batpak.writer.restart or
// .stopped) links to them.
func (s *shared) noteCrashed(g group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wt := range g.waiters {
		if sc := wt.span.SpanContext(); sc.IsValid() {
			s.crashed = append(s.crashed, trace.Link{SpanContext: sc})
		}
	}
}

// takeCrashed returns the links noteCrashed gathered and forgets them.
func (s *shared) takeCrashed() []trace.Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	links := s.crashed
	s.crashed = nil
	return links
}
