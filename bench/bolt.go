package main

import (
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltSystem is bbolt used as an event log: bucket "log" maps the global
// sequence to the payload, "idx" maps entity+version to the sequence,
// "heads" holds each entity's version, "keys" the idempotency keys. Every
// commit is durable (two fdatasyncs). Unbatched: one db.Update per append
// (bbolt has a single writer; concurrent producers queue on it). Batched:
// db.Batch, which merges the concurrent calls into one transaction
// (MaxBatchSize = the number of producers).
type boltSystem struct {
	batched bool
	db      *bolt.DB
}

var (
	bLog   = []byte("log")
	bIdx   = []byte("idx")
	bHeads = []byte("heads")
	bKeys  = []byte("keys")
)

// errConflict is an optimistic-concurrency failure.
var errConflict = errors.New("version conflict")

func newBolt(batched bool) *boltSystem { return &boltSystem{batched: batched} }

func (s *boltSystem) Name() string {
	if s.batched {
		return "bbolt batched"
	}
	return "bbolt (tx per append)"
}

func (s *boltSystem) DurableAtAck() bool { return true }

func (s *boltSystem) Open(dir string, producers int) error {
	db, err := bolt.Open(filepath.Join(dir, "events.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	db.MaxBatchSize = max(producers, 1)
	db.MaxBatchDelay = 10 * time.Millisecond
	// A read first: the buckets exist in a store that was filled before.
	var ready bool
	if err := db.View(func(tx *bolt.Tx) error {
		if h := tx.Bucket(bHeads); h != nil {
			_ = h.Get(entityKey(0))
			ready = true
		}
		return nil
	}); err != nil || ready {
		if err != nil {
			db.Close()
			return err
		}
		s.db = db
		return nil
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bLog, bIdx, bHeads, bKeys} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return err
	}
	s.db = db
	return nil
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func entityKey(e int) []byte { return []byte("order/" + strconv.Itoa(e)) }

// put appends one event inside tx: idempotency check, version check (when
// expected is not nil), then the log, index and head entries.
func put(tx *bolt.Tx, e int, expected *uint64, key string) (replayed bool, err error) {
	log, idx, heads, keys := tx.Bucket(bLog), tx.Bucket(bIdx), tx.Bucket(bHeads), tx.Bucket(bKeys)
	log.FillPercent, idx.FillPercent = 1.0, 0.9
	if key != "" && keys.Get([]byte(key)) != nil {
		return true, nil
	}
	ek := entityKey(e)
	var v uint64
	if h := heads.Get(ek); h != nil {
		v = binary.BigEndian.Uint64(h)
	}
	if expected != nil && *expected != v {
		return false, errConflict
	}
	seq, err := log.NextSequence()
	if err != nil {
		return false, err
	}
	if err := log.Put(u64(seq), payload); err != nil {
		return false, err
	}
	if err := idx.Put(append(append(ek, 0), u64(v+1)...), u64(seq)); err != nil {
		return false, err
	}
	if err := heads.Put(ek, u64(v+1)); err != nil {
		return false, err
	}
	if key != "" {
		return false, keys.Put([]byte(key), u64(seq))
	}
	return false, nil
}

// update runs fn in a transaction of its own, or in a db.Batch.
func (s *boltSystem) update(fn func(*bolt.Tx) error) error {
	if s.batched {
		return s.db.Batch(fn)
	}
	return s.db.Update(fn)
}

func (s *boltSystem) Producer(int) Producer { return &boltProducer{s: s, versions: map[int]uint64{}} }

func (s *boltSystem) Count() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bLog).Stats().KeyN
		return nil
	})
	return n, err
}

func (s *boltSystem) Fill(n int) error {
	for i := 0; i < n; {
		k := min(n-i, 10000)
		err := s.db.Update(func(tx *bolt.Tx) error {
			for j := range k {
				if _, err := put(tx, (i+j)%entities, nil, ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		i += k
	}
	return nil
}

// ReadEntity walks the entity's index entries and reads each payload.
func (s *boltSystem) ReadEntity(e int) (n int, err error) {
	prefix := append(entityKey(e), 0)
	err = s.db.View(func(tx *bolt.Tx) error {
		log := tx.Bucket(bLog)
		c := tx.Bucket(bIdx).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			if log.Get(v) == nil {
				return errors.New("index points at a missing event")
			}
			n++
		}
		return nil
	})
	return n, err
}

// ReadEntityBackward walks the entity's index entries from the last
// version down and reads each payload.
func (s *boltSystem) ReadEntityBackward(e int) (n int, err error) {
	prefix := append(entityKey(e), 0)
	err = s.db.View(func(tx *bolt.Tx) error {
		log := tx.Bucket(bLog)
		c := tx.Bucket(bIdx).Cursor()
		k, v := c.Seek(slices.Concat(prefix, u64(math.MaxUint64)))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Prev() {
			if log.Get(v) == nil {
				return errors.New("index points at a missing event")
			}
			n++
		}
		return nil
	})
	return n, err
}

func (s *boltSystem) ScanPaged() (int, error) { return 0, errPagedActorsOnly }

func (s *boltSystem) Scan() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bLog).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) != payloadSize {
				return errors.New("short value")
			}
			n++
		}
		return nil
	})
	return n, err
}

func (s *boltSystem) Close() error { return s.db.Close() }

// boltProducer appends through the system's update function.
type boltProducer struct {
	s        *boltSystem
	versions map[int]uint64
}

func (p *boltProducer) Append(e int) error {
	return p.s.update(func(tx *bolt.Tx) error {
		_, err := put(tx, e, nil, "")
		return err
	})
}

func (p *boltProducer) AppendExpected(e int) error {
	v := p.versions[e]
	err := p.s.update(func(tx *bolt.Tx) error {
		_, err := put(tx, e, &v, "")
		return err
	})
	if err == nil {
		p.versions[e] = v + 1
	}
	return err
}

func (p *boltProducer) AppendIdempotent(e int, key string) (replayed bool, err error) {
	err = p.s.update(func(tx *bolt.Tx) error {
		replayed, err = put(tx, e, nil, key)
		return err
	})
	return replayed, err
}

func (p *boltProducer) AppendBatch(ents []int) error {
	return p.s.update(func(tx *bolt.Tx) error {
		for _, e := range ents {
			if _, err := put(tx, e, nil, ""); err != nil {
				return err
			}
		}
		return nil
	})
}
