// Command torture is the process that the crash-torture test kills hard
// (SIGKILL; TerminateProcess on Windows): it opens a store in -dir, spawns
// producer actors that append single events (with expected versions) and
// atomic batches (with idempotency keys; half of them with per-item
// expected versions, some deliberately stale) as fast as they can, and
// records every receipt in -side only after the receipt has arrived, one
// line per write(2).
//
// It prints "ready" on stdout once the store is open.
//
// Lines: "S <id> <seq> <version> <hash>" for a single event,
// "B <n> <id> <seq> <version> <hash> ..." for a batch of n items,
// "C <n> <id> <seq> <version> <hash> <expected> ..." for a conditional
// batch (expected: the item's Exactly version, -1 for Any),
// "X <n> <id> ..." for the event ids of a batch refused with a version
// conflict.
package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

var kind = messages.MustKind(1, 1)

func main() {
	dir := flag.String("dir", "", "data directory")
	side := flag.String("side", "", "receipts file")
	seed := flag.Uint64("seed", 1, "random seed")
	segment := flag.Int64("segment", 0, "segment size (0: default)")
	producers := flag.Int("producers", 16, "producer actors")
	flag.Parse()
	if err := run(*dir, *side, *seed, *segment, *producers); err != nil {
		fmt.Fprintln(os.Stderr, "torture:", err)
		os.Exit(1)
	}
}

// sideFile appends receipt lines, each with one write.
type sideFile struct {
	mu sync.Mutex
	f  *os.File
}

func (s *sideFile) record(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.WriteString(line + "\n"); err != nil {
		fmt.Fprintln(os.Stderr, "torture: side file:", err)
		os.Exit(1)
	}
}

// endTornLine starts the side file on a line of its own: a SIGKILL can
// cut a write that crosses a page boundary short (Linux checks for fatal
// signals between pages), leaving the last line of an earlier round
// without its newline. The reader skips that torn line.
func endTornLine(path string, f *os.File) error {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 || b[len(b)-1] == '\n' {
		return err
	}
	_, err = f.WriteString("\n")
	return err
}

func receiptLine(r messages.Receipt) string {
	return fmt.Sprintf("%s %d %d %s", hex.EncodeToString(r.EventID[:]), r.Sequence, r.Version, r.Hash)
}

func run(dir, sidePath string, seed uint64, segment int64, producers int) error {
	f, err := os.OpenFile(sidePath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := endTornLine(sidePath, f); err != nil {
		return err
	}
	side := &sideFile{f: f}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}))
	store, err := actors.Spawn(sys, actors.Config{Dir: dir, Storage: storage.Options{SegmentSize: segment}})
	if err != nil {
		return err
	}
	fmt.Println("ready") // recovery is done: the test may time its kill from here
	for i := 0; i < producers; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &producer{store: store, side: side, rng: rng, id: i}
		}))
		sys.Root.Send(pid, &start{})
	}
	select {} // until killed
}

// start makes a producer send its first request.
type start struct{}

// producer appends forever, one request at a time: singles to its own
// entities with the expected version it last saw, and batches of 2-5 keyed
// items (some caused by the item before) across entities.
type producer struct {
	store    *actors.Store
	side     *sideFile
	rng      *rand.Rand
	id       int
	versions map[string]uint64
	last     messages.Coordinate  // of the single append in flight
	batchOf  []messages.BatchItem // of the batch in flight
}

func (p *producer) entity(i int) messages.Coordinate {
	return messages.Coordinate{Entity: fmt.Sprintf("p%d/e%d", p.id, i), Scope: "torture"}
}

// Receive drives the producer: each reply records its receipts and sends
// the next request (ctx.Request to the writer, as application actors do).
func (p *producer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		p.versions = map[string]uint64{}
		return
	case *start:
	case *messages.AppendReply:
		if m.Err() == nil {
			p.versions[p.last.Entity] = m.Receipt.Version
			p.side.record("S " + receiptLine(m.Receipt))
		} else {
			delete(p.versions, p.last.Entity) // re-read after a conflict or a crash
		}
	case *messages.AppendBatchReply:
		p.batchReply(m)
	default:
		return
	}
	p.next(ctx)
}

func (p *producer) version(c messages.Coordinate) uint64 {
	if v, ok := p.versions[c.Entity]; ok {
		return v
	}
	evs, err := p.store.Stream(c, 1)
	if err != nil {
		return 0
	}
	p.versions[c.Entity] = uint64(len(evs))
	return p.versions[c.Entity]
}

func (p *producer) next(ctx actor.Context) {
	if p.rng.IntN(4) == 0 {
		ctx.Request(p.store.Writer(), p.batch())
		return
	}
	c := p.entity(p.rng.IntN(4))
	p.last = c
	payload := []byte(strings.Repeat("x", 10+p.rng.IntN(300)))
	ctx.Request(p.store.Writer(), &messages.Append{Coordinate: c, Kind: kind, Payload: payload,
		Expected: messages.Exactly(p.version(c)), IdempotencyKey: p.key()})
}

func (p *producer) key() messages.ID {
	var k messages.ID
	for i := range k {
		k[i] = byte(p.rng.Uint32())
	}
	return k
}

// batch makes a batch of 2-5 keyed items on the producer's entities 4-6.
// Half the batches are conditional: the first item on each entity expects
// the version the producer knows, a later one on the same entity
// sometimes expects that plus the earlier items (both hold), and one
// batch in four of those has an item expecting a version the entity is
// not at, which refuses it whole.
func (p *producer) batch() *messages.AppendBatch {
	n := 2 + p.rng.IntN(4)
	items := make([]messages.BatchItem, n)
	conditional := p.rng.IntN(2) == 0
	stale := conditional && p.rng.IntN(4) == 0
	seen := map[string]uint64{} // earlier items per entity
	for i := range items {
		c := p.entity(4 + p.rng.IntN(3))
		items[i] = messages.BatchItem{Coordinate: c, Kind: kind,
			Payload: []byte(fmt.Sprintf("%d/%d %s", i, n, strings.Repeat("b", p.rng.IntN(200)))), IdempotencyKey: p.key()}
		if i > 0 && p.rng.IntN(2) == 0 {
			items[i].Causation = messages.CausedByItem(i - 1)
		}
		k, again := seen[c.Entity]
		if conditional && (!again || p.rng.IntN(3) == 0) {
			items[i].Expected = messages.Exactly(p.version(c) + k)
		}
		seen[c.Entity] = k + 1
	}
	if stale {
		i := p.rng.IntN(n)
		items[i].Expected = messages.Exactly(p.version(items[i].Coordinate) + uint64(n) + 1 + uint64(p.rng.IntN(3)))
	}
	p.batchOf = items
	return &messages.AppendBatch{Items: items}
}

// batchReply records the outcome of the batch in flight: its receipts
// ("B", or "C" with each item's expected version), or the ids of a batch
// refused with a version conflict ("X"); and what the producer now knows
// of its entities' versions.
func (p *producer) batchReply(m *messages.AppendBatchReply) {
	items := p.batchOf
	err := m.Err()
	if err != nil {
		for i := range items {
			delete(p.versions, items[i].Coordinate.Entity) // re-read
		}
		if errors.Is(err, messages.ErrVersionConflict) {
			line := fmt.Sprintf("X %d", len(items))
			for i := range items {
				id := messages.IDFromKey(items[i].IdempotencyKey)
				line += " " + hex.EncodeToString(id[:])
			}
			p.side.record(line)
		}
		return
	}
	conditional := false
	for i := range items {
		conditional = conditional || !items[i].Expected.IsAny()
	}
	tag := "B"
	if conditional {
		tag = "C"
	}
	line := fmt.Sprintf("%s %d", tag, len(m.Receipts))
	for i, r := range m.Receipts {
		line += " " + receiptLine(r)
		if conditional {
			exp := int64(-1)
			if e := items[i].Expected; !e.IsAny() {
				exp = int64(e.Version)
			}
			line += fmt.Sprintf(" %d", exp)
		}
		if _, ok := p.versions[items[i].Coordinate.Entity]; ok {
			p.versions[items[i].Coordinate.Entity] = r.Version
		}
	}
	p.side.record(line)
}
