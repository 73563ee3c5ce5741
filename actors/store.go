package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/futures"
	"github.com/batpak-go/batpak/messages"
)

// Store is a running batpak store: a supervisor and its writer actor in an
// actor system, a reader actor beside them, and a Go API over them.
type Store struct {
	sys        *actor.ActorSystem
	sh         *shared
	supervisor *actor.PID
	writer     *actor.PID
	reader     *actor.PID
}

// Spawn starts a store at the root of sys: SpawnIn(sys.Root, cfg).
func Spawn(sys *actor.ActorSystem, cfg Config) (*Store, error) {
	return SpawnIn(sys.Root, cfg)
}

// SpawnIn starts a store as a child of parent, and returns once its writer
// has opened the data directory, or with the error that kept it from
// opening. Give it an actor's actor.Context, inside that actor's Receive
// (for example on *actor.Started), and the store becomes part of that
// actor's supervision tree: its supervisor (named cfg.Name) and its reader
// (cfg.Name+"/reader") are that actor's children; give it sys.Root for a
// store at the root, as Spawn does.
//
// The store's own Config.Policy still governs the writer: the parent's
// supervisor strategy never sees a writer crash. When the parent stops
// (or anything else stops the store's supervisor), the writer commits what
// it holds and closes the data directory as Close does; the requests
// still queued, and every later one, get messages.ErrClosed, subscribers
// get a *messages.SubscriptionEnded, and Done is closed. A restart of the
// parent stops its children first, so the store closes then too; the new
// instance spawns it again (on the same Dir and Name) with every event.
// SpawnIn keeps the calling actor busy until the store has opened (a cold
// start: milliseconds to a few hundred for millions of events).
func SpawnIn(parent actor.SpawnerContext, cfg Config) (*Store, error) {
	if parent == nil {
		return nil, fmt.Errorf("batpak: SpawnIn needs a parent (an actor's Context, or sys.Root): %w", messages.ErrInvalidArgument)
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("batpak: Config.Dir is empty: %w", messages.ErrInvalidArgument)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Storage.Validate(); err != nil {
		return nil, err
	}
	sys := parent.ActorSystem()
	sh := newShared(cfg)
	sh.sys = sys
	writer := make(chan *actor.PID, 1)
	sup, err := parent.SpawnNamed(supervisorProps(sh, writer), cfg.Name)
	if err != nil {
		return nil, spawnError(cfg.Name, err)
	}
	if err := <-sh.opened; err != nil {
		sys.Root.StopFuture(sup).Wait()
		return nil, err
	}
	s := &Store{sys: sys, sh: sh, supervisor: sup, writer: <-writer}
	if s.reader, err = parent.SpawnNamed(readerProps(s), cfg.Name+"/"+readerName); err != nil {
		_ = s.Close(context.Background())
		return nil, spawnError(cfg.Name+"/"+readerName, err)
	}
	return s, nil
}

// System returns the actor system the store was spawned in.
func (s *Store) System() *actor.ActorSystem { return s.sys }

// Writer returns the writer's PID, for actors that send it requests. It
// stays the same across restarts.
func (s *Store) Writer() *actor.PID { return s.writer }

// Reader returns the reader's PID, for actors that read with
// *messages.ReadStream and *messages.ReadQuery requests (answered with a
// *messages.ReadReply). Its reads never queue behind the writer's mailbox
// and go on across writer restarts.
func (s *Store) Reader() *actor.PID { return s.reader }

// Supervisor returns the supervisor's PID.
func (s *Store) Supervisor() *actor.PID { return s.supervisor }

// Done returns a channel that is closed once the store has stopped for
// good: closed (Close), stopped with its parent (see SpawnIn), or its
// writer stopped because the restart budget is spent. Err says which.
func (s *Store) Done() <-chan struct{} { return s.sh.stoppedCh }

// Err returns nil while the store runs; once Done is closed, the reason it
// stopped: an error matching messages.ErrClosed (closed, or stopped with
// its parent) or messages.ErrWriterStopped (the restart budget is spent).
func (s *Store) Err() error {
	if err := s.sh.stopped.Load(); err != nil {
		return err
	}
	return nil
}

// Restarts returns how many times the writer has been restarted.
func (s *Store) Restarts() int {
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	return s.sh.restarts
}

// Append appends one event through the writer and returns its receipt
// once the event is committed (durable, in the default sync mode). The
// span in ctx, if any, becomes the parent of the writer's batpak.append
// span. The payload must not change until Append returns (subscribers get
// the same slice).
//
// When the writer's queue is at its bound (Config.MaxQueuedEvents,
// MaxQueuedBytes), Append does not fail with messages.ErrOverloaded as an
// actor's request does: it waits until the queue is down to half its
// bounds and sends again, for as long as ctx allows (it then returns
// ctx.Err()); a ctx without a deadline waits at most
// Config.RequestTimeout, then Append returns the ErrOverloaded error.
func (s *Store) Append(ctx context.Context, a *messages.Append) (messages.Receipt, error) {
	if a == nil {
		return messages.Receipt{}, nilRequest
	}
	if c := Trace(ctx); c != nil && len(a.Trace) == 0 {
		cp := *a // the caller's message is not ours to change
		cp.Trace = c
		a = &cp
	}
	res, err := s.requestAdmitted(ctx, a)
	if err != nil {
		return messages.Receipt{}, err
	}
	r, ok := res.(*messages.AppendReply)
	if !ok {
		return messages.Receipt{}, unexpected(res)
	}
	if err := r.Err(); err != nil {
		return messages.Receipt{}, err
	}
	return r.Receipt, nil
}

// AppendBatch appends the items atomically through the writer and returns
// their receipts once the batch is committed. Under overload it waits for
// room as Append does.
func (s *Store) AppendBatch(ctx context.Context, b *messages.AppendBatch) ([]messages.Receipt, error) {
	if b == nil {
		return nil, nilRequest
	}
	if c := Trace(ctx); c != nil && len(b.Trace) == 0 {
		cp := *b
		cp.Trace = c
		b = &cp
	}
	res, err := s.requestAdmitted(ctx, b)
	if err != nil {
		return nil, err
	}
	r, ok := res.(*messages.AppendBatchReply)
	if !ok {
		return nil, unexpected(res)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return r.Receipts, nil
}

func unexpected(res any) error {
	switch r := res.(type) {
	case *messages.ErrorReply:
		if err := r.Err(); err != nil {
			return err
		}
	case *messages.AppendReply:
		if err := r.Err(); err != nil {
			return err
		}
	}
	return fmt.Errorf("batpak: unexpected reply %T: %w", res, messages.ErrInvalidArgument)
}

// request sends msg to the writer and waits for the reply, the context, or
// the writer's final stop, whichever comes first.
func (s *Store) request(ctx context.Context, msg any) (any, error) {
	if err := s.sh.stopped.Load(); err != nil {
		return nil, err
	}
	if s.sh.closing.Load() {
		return nil, errClosed
	}
	timeout, err := futures.Timeout(ctx, s.sh.cfg.RequestTimeout)
	if err != nil {
		return nil, err
	}
	res, err := futures.Await(ctx, s.sys.Root.RequestFuture(s.writer, msg, timeout))
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil, err
	}
	if errors.Is(err, actor.ErrTimeout) {
		return nil, fmt.Errorf("batpak: no reply from the writer within %v (outcome unknown; retry with an idempotency key): %w", timeout, context.DeadlineExceeded)
	}
	if err != nil {
		if stopped := s.sh.stopped.Load(); stopped != nil {
			return nil, stopped
		}
		return nil, err
	}
	return res, nil
}

// Sync commits what the writer holds and fsyncs it: with
// storage.SyncPeriodic, every event acknowledged before Sync returns is
// then durable. (In the default mode every receipt already is.)
func (s *Store) Sync(ctx context.Context) error {
	res, err := s.request(ctx, &syncRequest{})
	if err != nil {
		return err
	}
	if r, ok := res.(*messages.ErrorReply); !ok {
		return unexpected(res)
	} else if err := r.Err(); err != nil {
		return err
	}
	return nil
}

// stopActors stops the reader, tells subscribers the store is closed, then
// stops the supervisor and waits until its children are gone (a writer
// that crashed for good has then given the directory lock up, so the
// directory can be opened again once Close returns), and ends the reads of
// the last engine.
func (s *Store) stopActors() {
	if s.reader != nil {
		s.sys.Root.StopFuture(s.reader).Wait()
	}
	s.sys.Root.RequestFuture(s.sh.fanout, &ended{err: errClosed}, time.Second).Wait()
	s.sys.Root.StopFuture(s.supervisor).Wait()
	s.sh.ops.unregister()
	s.sh.releaseEngine()
	s.sh.stop(errClosed)
}

// Close stops taking requests, lets the writer commit what it already
// holds and the requests queued before Close, up to Config.DrainLimit
// (beyond it they are answered messages.ErrClosed), seals the
// segment, fsyncs and closes the engine, then stops the actors. Requests
// through the Store after Close get messages.ErrClosed. Subscribers get a
// *messages.SubscriptionEnded. A second Close, or a Close after the store
// was stopped with its parent (see SpawnIn), changes nothing and returns an
// error matching messages.ErrClosed.
func (s *Store) Close(ctx context.Context) error {
	if !s.sh.closing.CompareAndSwap(false, true) {
		return &messages.Error{Code: messages.CodeClosed, Message: "batpak: the store is already closed"}
	}
	defer s.stopActors()
	if s.sh.stopped.Load() != nil {
		return nil
	}
	// The writer seals whatever Close's context says; Close waits for it
	// as long as its context lets it.
	res, err := futures.Await(ctx, s.sys.Root.RequestFuture(s.writer, &shutdown{}, s.sh.cfg.RequestTimeout))
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("batpak: close: the writer is still sealing the store: %w", err)
	}
	if err != nil {
		return fmt.Errorf("batpak: close: %w", err)
	}
	if r, ok := res.(*messages.ErrorReply); ok && r.Err() != nil {
		s.sh.log.failed("batpak: close failed; the next open recovers the store", r.Err())
		return r.Err()
	}
	return nil
}
