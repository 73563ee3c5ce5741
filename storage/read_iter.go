package storage

import (
	"iter"

	"github.com/batpak-go/batpak/messages"
)

// Read returns the committed events that match f, in global order (newest
// first with f.Backward), as an iterator:
//
//	for ev, err := range e.Read(storage.Filter{EntityPrefix: "order/"}) {
//		if err != nil {
//			return err
//		}
//		use(ev)
//	}
//
// It sees the events committed when the loop starts (a consistent prefix
// of the log; later ones are left to the next read) and never materialises
// the result: it reads runs of neighbouring frames with one large read into
// a reused buffer, so its memory does not grow with the number of events.
//
// An event's Payload is valid only until the loop's next step: it aliases
// that buffer. Copy it (bytes.Clone) to keep it. Every other field, the
// coordinate's strings included, is safe to keep.
//
// An error is yielded once and ends the loop: a *CorruptionError naming the
// segment and offset of a damaged frame, ErrClosed once the engine is
// closed (Close, or Release after Abandon), an error wrapping
// messages.ErrIO when a read fails. Breaking out of the loop stops the
// read. The index's read lock is held only while a batch of positions is
// copied, never while the loop body runs. Safe from any goroutine.
func (e *Engine) Read(f Filter) iter.Seq2[messages.Event, error] {
	return func(yield func(messages.Event, error) bool) {
		e.yieldEvents(newQuerySource(f), yield)
	}
}

// ReadStream returns the committed events of one entity in the versions r
// selects, in version order (newest first with r.Backward), as an
// iterator. An unknown entity has no events. Everything Read says about
// payloads, errors and the end of the loop holds.
func (e *Engine) ReadStream(c messages.Coordinate, r StreamRange) iter.Seq2[messages.Event, error] {
	return func(yield func(messages.Event, error) bool) {
		e.yieldEvents(newStreamSource(c, r), yield)
	}
}

// yieldEvents decodes the events of src and hands them to yield.
func (e *Engine) yieldEvents(src refSource, yield func(messages.Event, error) bool) {
	var ev messages.Event
	err := e.walk(src, func(en *ref, body []byte) error {
		if err := decodeRef(en, body, &ev); err != nil {
			return err
		}
		if !yield(ev, nil) {
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		yield(messages.Event{}, err)
	}
}
