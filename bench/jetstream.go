package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jsSystem is NATS JetStream embedded in the process (nats-server started
// with DontListen, client connected in-process), file storage, R1, one
// stream "ev" with subject "ev.<entity>" per entity. With syncAlways every
// write is fsynced before the ack (sync_interval: always); without it the
// ack comes before any fsync (default sync_interval, 2 min).
type jsSystem struct {
	syncAlways bool
	dir        string
	srv        *server.Server
	nc         *nats.Conn
	js         jetstream.JetStream
	stream     jetstream.Stream
}

const jsStream = "ev"

func newJetStream(syncAlways bool) *jsSystem { return &jsSystem{syncAlways: syncAlways} }

func (s *jsSystem) Name() string {
	if s.syncAlways {
		return "JetStream (sync always)"
	}
	return "JetStream (no fsync at ack)"
}

func (s *jsSystem) DurableAtAck() bool { return s.syncAlways }

func subject(e int) string { return "ev.e" + strconv.Itoa(e) }

// Open starts the server on dir, connects and creates (or finds) the stream.
func (s *jsSystem) Open(dir string, _ int) error { return s.start(dir, s.syncAlways) }

func (s *jsSystem) start(dir string, syncAlways bool) error {
	s.dir = dir
	srv, err := server.NewServer(&server.Options{
		JetStream: true, StoreDir: dir, DontListen: true, SyncAlways: syncAlways,
		NoLog: true, NoSigs: true, ServerName: "bench",
	})
	if err != nil {
		return err
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return errors.New("nats-server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		srv.Shutdown()
		return err
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4000))
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: jsStream, Subjects: []string{"ev.>"}, Storage: jetstream.FileStorage,
		Replicas: 1, AllowAtomicPublish: true,
	})
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return err
	}
	s.srv, s.nc, s.js, s.stream = srv, nc, js, st
	return nil
}

func (s *jsSystem) Producer(int) Producer {
	return &jsProducer{s: s, last: map[int]uint64{}}
}

func (s *jsSystem) Count() (int, error) {
	info, err := s.stream.Info(context.Background())
	if err != nil {
		return 0, err
	}
	return int(info.State.Msgs), nil
}

// Fill publishes asynchronously on a server without SyncAlways (with it
// JetStream syncs each message, and filling 1M would take minutes), then
// restarts with the system's own setting. Same on-disk format either way.
func (s *jsSystem) Fill(n int) error {
	if s.syncAlways {
		s.Close()
		if err := s.start(s.dir, false); err != nil {
			return err
		}
	}
	for i := range n {
		if _, err := s.js.PublishAsync(subject(i%entities), payload); err != nil {
			return err
		}
	}
	select {
	case <-s.js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		return errors.New("fill: acks did not come")
	}
	if s.syncAlways {
		s.Close()
		return s.start(s.dir, true)
	}
	return nil
}

// read counts n messages of an ordered consumer on the filter.
func (s *jsSystem) read(filter string, n int) (int, error) {
	ctx := context.Background()
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		return 0, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	got := 0
	for got < n {
		if _, err := it.Next(); err != nil {
			return got, err
		}
		got++
	}
	return got, nil
}

func (s *jsSystem) ReadEntity(e int) (int, error) {
	info, err := s.stream.Info(context.Background(), jetstream.WithSubjectFilter(subject(e)))
	if err != nil {
		return 0, err
	}
	return s.read(subject(e), int(info.State.Subjects[subject(e)]))
}

func (s *jsSystem) Scan() (int, error) {
	n, err := s.Count()
	if err != nil {
		return 0, err
	}
	return s.read("ev.>", n)
}

func (s *jsSystem) ReadEntityBackward(int) (int, error) {
	return 0, notSupported("JetStream's consumers read forward only")
}

func (s *jsSystem) ScanPaged() (int, error) { return 0, errPagedActorsOnly }

// crashFiller is the system the crash child fills before it is killed: a
// server without SyncAlways (filling with it would take minutes; the files
// are the same), reopened by the parent with the system's own setting.
func (s *jsSystem) crashFiller() System { return newJetStream(false) }

func (s *jsSystem) Close() error {
	if s.nc != nil {
		s.nc.Close()
	}
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
	s.nc, s.srv = nil, nil
	return nil
}

// jsProducer publishes synchronously (one ack awaited per append).
type jsProducer struct {
	s     *jsSystem
	last  map[int]uint64 // last stream sequence of each owned subject
	batch int
}

func (p *jsProducer) Append(e int) error {
	_, err := p.s.js.Publish(context.Background(), subject(e), payload)
	return err
}

func (p *jsProducer) AppendExpected(e int) error {
	ack, err := p.s.js.Publish(context.Background(), subject(e), payload, jetstream.WithExpectLastSequencePerSubject(p.last[e]))
	if err != nil {
		return err
	}
	p.last[e] = ack.Sequence
	return nil
}

func (p *jsProducer) AppendIdempotent(e int, key string) (bool, error) {
	ack, err := p.s.js.Publish(context.Background(), subject(e), payload, jetstream.WithMsgID(key))
	if err != nil {
		return false, err
	}
	return ack.Duplicate, nil
}

// AppendBatch is an atomic batch publish (Nats-Batch-Id/-Sequence headers,
// Nats-Batch-Commit on the last message, whose ack covers the batch); nats.go
// v1.55 has no helper for it, so the headers are set here.
func (p *jsProducer) AppendBatch(ents []int) error {
	p.batch++
	id := fmt.Sprintf("%p-%d", p, p.batch)
	for i, e := range ents {
		m := nats.NewMsg(subject(e))
		m.Data = payload
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(ents)-1 {
			if err := p.s.nc.PublishMsg(m); err != nil {
				return err
			}
			continue
		}
		m.Header.Set("Nats-Batch-Commit", "1")
		ack, err := p.s.js.PublishMsg(context.Background(), m)
		if err != nil {
			return err
		}
		if ack.Sequence == 0 {
			return errors.New("batch commit without a sequence")
		}
	}
	return nil
}
