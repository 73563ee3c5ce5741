package messages

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The two messages of a remote append as bench/ sends them (a 256-byte
// payload; a receipt with every field set), each encoded and decoded by
// the hand-written code (fast) and by msgpack (reflect), beside each other.
//
//	go test ./messages -run '^$' -bench WireFast -benchmem
func BenchmarkWireFast(b *testing.B) {
	id := NewID()
	msgs := []struct {
		name string
		msg  any
		mk   func() any
	}{
		{"append", &Append{Coordinate: Coordinate{Entity: "bench/entity-0042", Scope: "bench"},
			Kind: MustKind(1, 1), Payload: bytes.Repeat([]byte{0xab}, 256)}, func() any { return new(Append) }},
		{"reply", &AppendReply{Receipt: Receipt{EventID: id, Sequence: 123456, Version: 77,
			Hash: Hash{1, 2, 3}, Segment: 3, Offset: 1 << 20}}, func() any { return new(AppendReply) }},
	}
	for _, c := range msgs {
		body, err := msgpack.Marshal(c.msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/encode/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wireBody(c.msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/encode/reflect", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := msgpack.Marshal(c.msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !decodeFast(body, c.mk()) {
					b.Fatal("not decoded")
				}
			}
		})
		b.Run(c.name+"/decode/reflect", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := msgpack.Unmarshal(body, c.mk()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
