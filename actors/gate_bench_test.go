package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Appends through the writer actor with no gate set, an empty one and
// three cheap gates (as storage's BenchmarkAppendGates), without fsyncs so
// that the writer's own work is what is measured:
//
//	go test ./actors -run '^$' -bench ActorAppendGates -benchtime 3s -count 1
func BenchmarkActorAppendGates(b *testing.B) {
	cheap := []storage.Gate{
		{Name: "payload_limit", Check: func(p *storage.Proposal) *messages.Denial {
			for i := range p.Events {
				if len(p.Events[i].Payload) > 64<<10 {
					return storage.Deny("payload_too_large", "%d bytes", len(p.Events[i].Payload))
				}
			}
			return nil
		}},
		{Name: "kind_allowlist", Check: func(p *storage.Proposal) *messages.Denial {
			for i := range p.Events {
				if p.Events[i].Kind.Category() != 1 {
					return storage.Deny("kind_not_allowed", "kind %s", p.Events[i].Kind)
				}
			}
			return nil
		}},
		{Name: "version_bound", Check: func(p *storage.Proposal) *messages.Denial {
			for i := range p.Events {
				if v := p.Version(p.Events[i].Coordinate); v >= 1<<40 {
					return storage.Deny("stream_too_long", "version %d", v)
				}
			}
			return nil
		}},
	}
	for _, gs := range []struct {
		name string
		set  storage.GateSet
	}{
		{"none", storage.GateSet{}},
		{"empty", storage.GateSet{CollectAll: true, Budget: time.Second, Gates: []storage.Gate{}}},
		{"3cheap", storage.GateSet{Gates: cheap}},
	} {
		b.Run(fmt.Sprintf("requesters=16/payload=%d/sync=none/gates=%s", benchPayload, gs.name), func(b *testing.B) {
			runRequesters(b, benchRun{requesters: 16, cfg: Config{Storage: storage.Options{SyncMode: storage.SyncNone, Gates: gs.set}}})
		})
	}
}
