package main

import (
	"crypto/sha256"
	"fmt"
	"iter"

	"github.com/batpak-go/batpak/actors"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// coords are the 1,000 entities' coordinates, shared by both batpak systems.
var coords = func() []messages.Coordinate {
	cs := make([]messages.Coordinate, entities)
	for i := range cs {
		cs[i] = messages.Coordinate{Entity: fmt.Sprintf("order/%d", i), Scope: "bench"}
	}
	return cs
}()

var kind = messages.MustKind(1, 1)

// keyID turns a workload's idempotency key into a batpak key.
func keyID(key string) messages.ID {
	s := sha256.Sum256([]byte(key))
	var id messages.ID
	copy(id[:], s[:])
	return id
}

// batchItems builds an atomic batch of one event per entity.
func batchItems(ents []int) *messages.AppendBatch {
	items := make([]messages.BatchItem, len(ents))
	for i, e := range ents {
		items[i] = messages.BatchItem{Coordinate: coords[e], Kind: kind, Payload: payload}
	}
	return &messages.AppendBatch{Items: items}
}

// engineSystem is the storage engine used directly: producers hand their
// requests to one committing goroutine, which stages everything queued and
// commits it with one write and one fsync (SyncEveryCommit), then answers.
type engineSystem struct {
	e       *storage.Engine
	reqs    chan engineReq
	stopped chan struct{}
}

type engineReq struct {
	one   *messages.Append
	batch *messages.AppendBatch
	reply chan engineReply
}

type engineReply struct {
	r   messages.Receipt
	err error
}

// maxEngineGroup bounds the events of one commit (as the writer actor's
// MaxGroupEvents does).
const maxEngineGroup = 1024

func newEngine() *engineSystem { return &engineSystem{} }

func (s *engineSystem) Name() string       { return "batpak engine" }
func (s *engineSystem) DurableAtAck() bool { return true }

// engineOptions are the storage options the store's actors use by default.
func engineOptions() storage.Options {
	return storage.Options{SyncMode: storage.SyncEveryCommit, Preallocate: actors.DefaultPreallocate}
}

func (s *engineSystem) Open(dir string, _ int) error {
	e, err := storage.Open(dir, engineOptions())
	if err != nil {
		return err
	}
	s.e = e
	s.reqs, s.stopped = make(chan engineReq, 1024), make(chan struct{})
	go s.loop()
	return nil
}

// loop is the committer: stage every queued request, one Commit, reply.
func (s *engineSystem) loop() {
	defer close(s.stopped)
	type staged struct {
		req engineReq
		r   messages.Receipt
	}
	var group []staged
	for first := range s.reqs {
		group = group[:0]
		events := 0
		req, ok := first, true
		for {
			var rep engineReply
			if req.one != nil {
				rep.r, rep.err = s.e.Append(req.one)
				events++
			} else {
				_, rep.err = s.e.AppendBatch(req.batch)
				events += len(req.batch.Items)
			}
			if rep.err != nil {
				req.reply <- rep // refused: nothing staged
			} else {
				group = append(group, staged{req, rep.r})
			}
			if events >= maxEngineGroup {
				break
			}
			select {
			case req, ok = <-s.reqs:
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		err := s.e.Commit()
		for _, g := range group {
			g.req.reply <- engineReply{g.r, err}
		}
	}
}

func (s *engineSystem) do(req engineReq) (messages.Receipt, error) {
	req.reply = make(chan engineReply, 1)
	s.reqs <- req
	rep := <-req.reply
	return rep.r, rep.err
}

func (s *engineSystem) Producer(int) Producer {
	return &batpakProducer{
		append: func(a *messages.Append) (messages.Receipt, error) { return s.do(engineReq{one: a}) },
		batch: func(b *messages.AppendBatch) error {
			_, err := s.do(engineReq{batch: b})
			return err
		},
		versions: map[int]uint64{},
	}
}

func (s *engineSystem) Count() (int, error) { return s.e.Stats().Events, nil }

func (s *engineSystem) Fill(n int) error {
	for n > 0 {
		k := min(n, 1000)
		ents := make([]int, k)
		for i := range ents {
			ents[i] = i % entities
		}
		if _, err := s.do(engineReq{batch: batchItems(ents)}); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (s *engineSystem) ReadEntity(e int) (int, error) {
	return countEvents(s.e.ReadStream(coords[e], storage.StreamRange{}))
}

// ReadEntityBackward reads the stream from its last event to its first.
func (s *engineSystem) ReadEntityBackward(e int) (int, error) {
	return countEvents(s.e.ReadStream(coords[e], storage.StreamRange{Backward: true}))
}

func (s *engineSystem) Scan() (int, error) { return countEvents(s.e.Read(storage.Filter{})) }

func (s *engineSystem) ScanPaged() (int, error) { return 0, errPagedActorsOnly }

func (s *engineSystem) Close() error {
	s.stop()
	return s.e.Close()
}

// stop ends the committer.
func (s *engineSystem) stop() {
	close(s.reqs)
	<-s.stopped
}

// Crash leaves the store as a kill -9 would: the committer stops and the
// engine is abandoned (nothing more is written: no footer, no seal, no
// fsync) and its files released.
func (s *engineSystem) Crash() error {
	s.stop()
	if err := s.e.Abandon(); err != nil {
		return err
	}
	return s.e.Release()
}

// DataBytes is the size of the store's segment files.
func (s *engineSystem) DataBytes(dir string) (int64, error) { return segmentBytes(dir) }

// IndexBytesPerEvent is the engine's in-memory index per event.
func (s *engineSystem) IndexBytesPerEvent(dir string) (float64, error) {
	return indexBytesPerEvent(dir)
}

// countEvents runs a streaming read to its end and counts its events
// (each checked against its frame's checksum by the store).
func countEvents(evs iter.Seq2[messages.Event, error]) (int, error) {
	n := 0
	for _, err := range evs {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// batpakProducer is a producer of either batpak system; the system gives
// the functions that carry its requests.
type batpakProducer struct {
	append   func(*messages.Append) (messages.Receipt, error)
	batch    func(*messages.AppendBatch) error
	versions map[int]uint64 // of the entities it owns
}

func (p *batpakProducer) Append(e int) error {
	_, err := p.append(&messages.Append{Coordinate: coords[e], Kind: kind, Payload: payload})
	return err
}

func (p *batpakProducer) AppendExpected(e int) error {
	v := p.versions[e]
	r, err := p.append(&messages.Append{Coordinate: coords[e], Kind: kind, Payload: payload, Expected: messages.Exactly(v)})
	if err != nil {
		return err
	}
	p.versions[e] = r.Version
	return nil
}

func (p *batpakProducer) AppendIdempotent(e int, key string) (bool, error) {
	r, err := p.append(&messages.Append{Coordinate: coords[e], Kind: kind, Payload: payload, IdempotencyKey: keyID(key)})
	return r.Replayed, err
}

func (p *batpakProducer) AppendBatch(ents []int) error { return p.batch(batchItems(ents)) }
