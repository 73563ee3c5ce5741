package storage

import (
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

func isNotFound(err error) bool { return errors.Is(err, messages.ErrNotFound) }

// VerifyReport summarises a successful Verify.
type VerifyReport struct {
	Streams int // entities checked
	Events  int // events checked
}

// Verify reads every committed event and checks each entity's hash chain:
// each frame's checksum, each event's hash recomputed over its previous
// hash, header and payload, each prev_hash equal to the previous event's
// hash (zero for version 1), and versions 1, 2, 3... It returns the first
// failure as a *CorruptionError.
func (e *Engine) Verify() (VerifyReport, error) {
	var coords []messages.Coordinate
	if err := e.lockedRead(func(x *index) {
		for _, s := range x.streams {
			coords = append(coords, s.coord)
		}
	}); err != nil {
		return VerifyReport{}, err
	}
	var rep VerifyReport
	for _, c := range coords {
		n, err := e.VerifyStream(c)
		if err != nil {
			return rep, err
		}
		rep.Streams++
		rep.Events += n
	}
	return rep, nil
}

// VerifyStream checks the hash chain of one entity (see Verify) and returns
// the number of events checked. It reads the frames the way ReadStream
// does, and sees the events committed when it starts.
func (e *Engine) VerifyStream(c messages.Coordinate) (int, error) {
	h := format.NewHasher()
	var prev messages.Hash
	var ev messages.Event
	n := 0
	err := e.walk(newStreamSource(c, StreamRange{}), func(en *ref, body []byte) error {
		bad := func(f string, args ...any) error {
			return &CorruptionError{Segment: uint64(en.segment), Offset: int64(en.offset),
				Reason: fmt.Sprintf("entity %s version %d: ", c, n+1) + fmt.Sprintf(f, args...)}
		}
		if err := decodeRef(en, body, &ev); err != nil {
			return err
		}
		if ev.Version != uint64(n+1) {
			return bad("stored version %d", ev.Version)
		}
		if ev.PrevHash != prev {
			return bad("prev_hash does not match the previous event's hash")
		}
		if got := bodyHash(h, body); got != ev.Hash {
			return bad("hash mismatch: stored %s, computed %s", ev.Hash, got)
		}
		prev = ev.Hash
		n++
		return nil
	})
	return n, err
}

// bodyHash recomputes the hash of an event body (a frame's body that
// decoded as an event): blake3 of every byte before its hash field.
func bodyHash(h *format.Hasher, body []byte) messages.Hash {
	return h.Sum(body[:len(body)-format.HashFieldBytes])
}
