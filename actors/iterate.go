package actors

import (
	"errors"
	"iter"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Read returns the committed events that match f as an iterator, in global
// order (newest first with f.Backward): storage.Engine.Read through the
// store, with the same rules (an event's Payload is valid only until the
// loop's next step; an error is yielded once and ends the loop; breaking
// out stops the read).
//
// It survives writer restarts: when a restart closes the engine under the
// loop, it waits for the restarted writer's engine (at most
// RequestTimeout, as the other reads do) and goes on from the event after
// the last one it yielded, so the loop sees every event once, in order.
// From there it also sees what was committed before it resumed.
func (s *Store) Read(f storage.Filter) iter.Seq2[messages.Event, error] {
	return func(yield func(messages.Event, error) bool) {
		s.follow(func(e *storage.Engine) iter.Seq2[messages.Event, error] { return e.Read(f) },
			func(seq, _ uint64) bool {
				if f.Backward {
					if seq == 0 {
						return false
					}
					f.BeforeSeq = seq
				} else {
					f.FromSeq = seq + 1
				}
				return countDown(&f.Limit)
			}, yield)
	}
}

// ReadStream returns one entity's events in the versions r selects as an
// iterator: storage.Engine.ReadStream through the store, restart-aware the
// way Read is (it goes on from the version after the last one yielded).
func (s *Store) ReadStream(c messages.Coordinate, r storage.StreamRange) iter.Seq2[messages.Event, error] {
	return func(yield func(messages.Event, error) bool) {
		s.follow(func(e *storage.Engine) iter.Seq2[messages.Event, error] { return e.ReadStream(c, r) },
			func(_, version uint64) bool {
				if r.Backward {
					if version <= 1 {
						return false
					}
					r.From = version - 1
				} else {
					r.From = version + 1
				}
				return countDown(&r.Limit)
			}, yield)
	}
}

// countDown counts one event against a limit (0: none) and reports
// whether more are wanted.
func countDown(limit *int) bool {
	if *limit == 0 {
		return true
	}
	*limit--
	return *limit > 0
}

// follow yields the events of open on the current engine. advance moves
// the read past each event yielded (given its sequence and version) and
// reports whether more are wanted.
// When a writer restart closes the engine under the read, follow waits for
// the next engine (as read does) and opens the read again there.
func (s *Store) follow(open func(*storage.Engine) iter.Seq2[messages.Event, error],
	advance func(seq, version uint64) bool, yield func(messages.Event, error) bool) {
	for {
		changed := s.sh.engineChange()
		e, err := s.engine()
		if err != nil {
			yield(messages.Event{}, err)
			return
		}
		var failed error
		for ev, err := range open(e) {
			if err != nil {
				failed = err
				break
			}
			if !yield(ev, nil) || !advance(ev.Sequence, ev.Version) {
				return
			}
		}
		if failed == nil {
			return
		}
		if !errors.Is(failed, storage.ErrClosed) || s.sh.closing.Load() {
			yield(messages.Event{}, failed)
			return
		}
		select {
		case <-changed:
		case <-s.sh.stoppedCh:
			yield(messages.Event{}, s.sh.stopped.Load())
			return
		case <-time.After(s.sh.cfg.RequestTimeout):
			yield(messages.Event{}, failed)
			return
		}
	}
}
