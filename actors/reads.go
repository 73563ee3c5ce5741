package actors

import (
	"errors"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// engine returns the current engine for reads.
func (s *Store) engine() (*storage.Engine, error) {
	if e := s.sh.engine.Load(); e != nil {
		return e, nil
	}
	return nil, &messages.Error{Code: messages.CodeWriterStopped, Message: "batpak: no engine is open"}
}

// read runs fn on the current engine. If that engine was closed under it
// by a writer restart, it waits for the restarted writer's engine (at most
// RequestTimeout) and runs fn again.
func read[T any](s *Store, fn func(*storage.Engine) (T, error)) (T, error) {
	var zero T
	for {
		changed := s.sh.engineChange()
		e, err := s.engine()
		if err != nil {
			return zero, err
		}
		v, err := fn(e)
		if !errors.Is(err, storage.ErrClosed) || s.sh.closing.Load() {
			return v, err
		}
		select {
		case <-changed:
		case <-s.sh.stoppedCh:
			return zero, s.sh.stopped.Load()
		case <-time.After(s.sh.cfg.RequestTimeout):
			return v, err
		}
	}
}

// Get returns the committed event with the given id.
func (s *Store) Get(id messages.ID) (messages.Event, error) {
	return read(s, func(e *storage.Engine) (messages.Event, error) { return e.Get(id) })
}

// Stream returns one entity's events from a version on.
func (s *Store) Stream(c messages.Coordinate, fromVersion uint64) ([]messages.Event, error) {
	return read(s, func(e *storage.Engine) ([]messages.Event, error) { return e.Stream(c, fromVersion) })
}

// Query returns the events that match f, in global order.
func (s *Store) Query(f storage.Filter) ([]messages.Event, error) {
	return read(s, func(e *storage.Engine) ([]messages.Event, error) { return e.Query(f) })
}

// ByCorrelation returns the events of one correlation, in global order.
func (s *Store) ByCorrelation(corr messages.ID) ([]messages.Event, error) {
	return read(s, func(e *storage.Engine) ([]messages.Event, error) { return e.ByCorrelation(corr) })
}

// Ancestors follows causation links upward from id.
func (s *Store) Ancestors(id messages.ID, limit int) ([]messages.Event, error) {
	return read(s, func(e *storage.Engine) ([]messages.Event, error) { return e.Ancestors(id, limit) })
}

// Descendants returns the events id caused, directly or transitively
// (causation forward, across entities), in global order; an unknown id is
// an error matching messages.ErrNotFound. See storage.Engine.Descendants.
func (s *Store) Descendants(id messages.ID) ([]messages.Event, error) {
	return read(s, func(e *storage.Engine) ([]messages.Event, error) { return e.Descendants(id) })
}

// Verify checks every entity's hash chain.
func (s *Store) Verify() (storage.VerifyReport, error) {
	return read(s, func(e *storage.Engine) (storage.VerifyReport, error) { return e.Verify() })
}

// Stats returns the engine's statistics; once Close has returned (or the
// store was stopped with its parent), an error matching messages.ErrClosed.
func (s *Store) Stats() (storage.Stats, error) {
	if s.sh.closing.Load() && s.sh.stopped.Load() != nil {
		return storage.Stats{}, s.sh.stopped.Load()
	}
	return read(s, func(e *storage.Engine) (storage.Stats, error) { return e.Stats(), nil })
}
