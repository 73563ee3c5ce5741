package format

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// A FooterCursor returns the records Each visits, in the same order, then
// nothing.
func TestFooterCursorIsEach(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 20 {
		var f FooterBuilder
		end := int64(HeaderSize)
		for i := range n * 5 {
			ev := messages.Event{Sequence: uint64(i), Coordinate: messages.Coordinate{Entity: fmt.Sprintf("e%d", rng.IntN(4)), Scope: "s"},
				Kind: messages.EventKind(rng.IntN(1 << 16)), Version: uint64(i + 1), WallMS: rng.Int64()}
			ev.ID[0], ev.Hash[3] = byte(i), byte(i)
			ev.CorrelationID = ev.ID
			size := FrameHeaderSize + 1 + rng.IntN(500)
			switch rng.IntN(3) {
			case 0:
				f.AddSynced(end, size)
			case 1:
				f.AddMarker(TypeBegin, Marker{Count: rng.IntN(9), FirstSeq: uint64(i)}, size)
			default:
				f.AddEvent(&ev, size)
			}
			end += int64(size)
		}
		seg := append(make([]byte, end), f.AppendSeal(nil, 7, end)...)
		var r FooterReader
		if err := r.Read(bytes.NewReader(seg), 7, int64(len(seg))); err != nil {
			t.Fatal(err)
		}
		var want []Record
		if err := r.Each(func(rec *Record) error { want = append(want, *rec); return nil }); err != nil {
			t.Fatal(err)
		}
		c := r.Cursor()
		for i := range want {
			if c.Left() != len(want)-i {
				t.Fatalf("Left %d before record %d of %d", c.Left(), i, len(want))
			}
			got, ok := c.Next()
			if !ok || fmt.Sprint(*got) != fmt.Sprint(want[i]) {
				t.Fatalf("record %d: %+v, want %+v", i, got, want[i])
			}
		}
		if _, ok := c.Next(); ok || c.Left() != 0 {
			t.Fatal("a record after the last")
		}
	}
}
