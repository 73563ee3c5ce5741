package storage

import "github.com/batpak-go/batpak/messages"

// streamHead is the writer's view of one entity stream: the tail the next
// append chains to (the last event staged or written, else the last one
// published) and how many of its events are staged or written but not yet
// published. An append resolves its coordinate to a head once; the staged
// event carries the head on to publish, so that nothing on the way looks
// the coordinate up again.
type streamHead struct {
	coord       messages.Coordinate
	tail        tail
	unpublished int
}

// advance makes ev, just staged on h, the tail the next append chains to.
func (h *streamHead) advance(ev *messages.Event) {
	h.tail = tail{version: ev.Version, hash: ev.Hash, wall: ev.WallMS}
	h.unpublished++
}

// streamHeads holds the heads of the streams the writer touched, by
// coordinate. A head is exact as long as every change to its stream goes
// through the writer, which it does: the index changes only in publish. A
// head without unpublished events can be dropped at any time (the index
// has its tail); sweep does so when the cache has grown.
type streamHeads struct {
	m       map[messages.Coordinate]*streamHead
	sweepAt int // size at which the next sweep runs
}

// minHeadsSweep is the cache size below which no sweep runs.
const minHeadsSweep = 1 << 14

// lookup returns the head of c, or nil if the writer holds none. Only valid
// coordinates ever get a head, so a hit also validates c.
func (s *streamHeads) lookup(c messages.Coordinate) *streamHead { return s.m[c] }

// add makes the head of the valid coordinate c, whose published tail is t.
func (s *streamHeads) add(c messages.Coordinate, t tail) *streamHead {
	if s.m == nil {
		s.m = make(map[messages.Coordinate]*streamHead)
		s.sweepAt = minHeadsSweep
	}
	h := &streamHead{coord: c, tail: t}
	s.m[c] = h
	return h
}

// sweep drops the heads without unpublished events once the cache reached
// its sweep size, and sets the next sweep size to twice what remains (at
// least minHeadsSweep), so that sweeping costs O(1) per head added. Call it
// only where no append is resolving heads (publish).
func (s *streamHeads) sweep() {
	if len(s.m) < s.sweepAt {
		return
	}
	for c, h := range s.m {
		if h.unpublished == 0 {
			delete(s.m, c)
		}
	}
	s.sweepAt = max(2*len(s.m), minHeadsSweep)
}

// rewindHeads resets the heads of discarded staged events to the last
// event written but not yet published on their stream, or else to the
// published tail.
func (e *Engine) rewindHeads(discarded []*streamHead) {
	if len(discarded) == 0 {
		return
	}
	touched := make(map[*streamHead]bool, len(discarded))
	for _, h := range discarded {
		h.unpublished--
		touched[h] = true
	}
	for h := range touched {
		h.tail = e.idx.tailOf(h.coord)
	}
	for _, p := range e.pending {
		for i, h := range p.heads {
			if touched[h] {
				ev := &p.events[i]
				h.tail = tail{version: ev.Version, hash: ev.Hash, wall: ev.WallMS}
			}
		}
	}
}
