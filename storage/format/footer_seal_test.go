package format

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// SealParts writes, part by part, exactly the bytes AppendSeal writes, and
// Reserve changes none of them.
func TestSealPartsAreAppendSeal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		var f, g FooterBuilder
		if n%2 == 0 {
			g.Reserve(rng.IntN(4096))
		}
		for i := range n * 7 {
			ev := messages.Event{Sequence: uint64(i), Coordinate: messages.Coordinate{Entity: fmt.Sprintf("e%d", rng.IntN(5)), Scope: "s"},
				Kind: messages.EventKind(rng.IntN(1 << 16)), Version: uint64(i + 1), WallMS: rng.Int64()}
			ev.ID[0], ev.Hash[3] = byte(i), byte(i)
			ev.CorrelationID = ev.ID
			size := FrameHeaderSize + rng.IntN(5000)
			switch rng.IntN(3) {
			case 0:
				f.AddSynced(int64(i), size)
				g.AddSynced(int64(i), size)
			case 1:
				m := Marker{Count: rng.IntN(9), FirstSeq: uint64(i)}
				f.AddMarker(TypeBegin, m, size)
				g.AddMarker(TypeBegin, m, size)
			default:
				f.AddEvent(&ev, size)
				g.AddEvent(&ev, size)
			}
		}
		want := f.AppendSeal([]byte("prefix"), uint64(n), int64(1000+n))
		head, recs, trailer := g.SealParts([]byte("prefix"), uint64(n), int64(1000+n))
		got := append(append(head, recs...), trailer[:]...)
		if !bytes.Equal(want, got) {
			t.Fatalf("%d records: SealParts differs from AppendSeal", n*7)
		}
		if g.RecordBytes() != len(recs) || g.Spare() != cap(recs)-len(recs) {
			t.Fatalf("RecordBytes %d, Spare %d for %d bytes of records in %d", g.RecordBytes(), g.Spare(), len(recs), cap(recs))
		}
	}
}

// A reserved builder adds records without growing its buffer.
func TestReserveKeepsRecordsInPlace(t *testing.T) {
	var f FooterBuilder
	f.Reserve(100 * MaxRecordBytes)
	before := cap(f.recs)
	ev := messages.Event{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Version: 1<<64 - 1, Sequence: 1<<64 - 1, WallMS: -1 << 63,
		Kind: 0xFFFF, BatchID: messages.ID{1}, CorrelationID: messages.ID{2}}
	for range 100 {
		f.AddEvent(&ev, MaxFrameBytes+FrameHeaderSize)
	}
	if cap(f.recs) != before {
		t.Fatalf("the buffer grew from %d to %d", before, cap(f.recs))
	}
	if per := len(f.recs) / 100; per > MaxRecordBytes {
		t.Fatalf("an event record takes %d bytes, MaxRecordBytes says %d", per, MaxRecordBytes)
	}
}
