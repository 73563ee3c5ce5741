package main

import (
	"context"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// What one message costs to cross protoactor remote, without the network:
// the sender's Serialize (batpak's messages: msgpack into a messages.Wire)
// and protoactor's protobuf marshal, then the receiver's unmarshal and
// Deserialize. append and reply are the two messages of a remote append
// (a 256-byte payload; a real receipt); pid is what the bare
// request/response of BenchmarkRemoteAppends sends each way (protobuf
// only).
//
//	cd bench && go test -run '^$' -bench WireCodec -benchmem
func BenchmarkWireCodec(b *testing.B) {
	sys := quietSystem()
	defer sys.Shutdown()
	st, err := actors.Spawn(sys, actors.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	app := &messages.Append{Coordinate: coords[0], Kind: kind, Payload: payload}
	rec, err := st.Append(context.Background(), app)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		msg  any
	}{
		{"append", app},
		{"reply", &messages.AppendReply{Receipt: rec}},
		{"pid", &actor.PID{Address: "bench", Id: "echo"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				size = crossRemote(b, c.msg)
			}
			b.ReportMetric(float64(size), "wire-bytes")
		})
	}
}

// crossRemote encodes msg as protoactor remote's endpoint writer does and
// decodes it as its endpoint reader does; it returns the encoded size.
func crossRemote(b *testing.B, msg any) int {
	if rs, ok := msg.(remote.RootSerializable); ok {
		w, err := rs.Serialize()
		if err != nil {
			b.Fatal(err)
		}
		msg = w
	}
	bs, typeName, err := remote.Serialize(msg, 0)
	if err != nil {
		b.Fatal(err)
	}
	back, err := remote.Deserialize(bs, typeName, 0)
	if err != nil {
		b.Fatal(err)
	}
	if rs, ok := back.(remote.RootSerialized); ok {
		if _, err := rs.Deserialize(); err != nil {
			b.Fatal(err)
		}
	}
	return len(bs)
}
