package actors_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

var lzKind = messages.MustKind(1, 1)

// lzCoord is the coordinate of a test entity.
func lzCoord(entity string) messages.Coordinate {
	return messages.Coordinate{Entity: entity, Scope: "linz"}
}

// lzEntities names n entities.
func lzEntities(n int) []string {
	es := make([]string, n)
	for i := range es {
		es[i] = fmt.Sprintf("lz/e%d", i)
	}
	return es
}

// lzQuietSystem is an actor system that logs only errors (injected panics
// are logged by protoactor at lower levels).
func lzQuietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}))
}

// lzWorkload is concurrent clients over a few entities, through the
// store's public Go API, recording every call and answer in a history.
type lzWorkload struct {
	store    *actors.Store
	log      *lzLog
	entities []string
	prefix   string        // of every tag, so tags are unique across runs
	timeout  time.Duration // a guard: an append not answered by then is "unknown"
}

// run runs clients concurrently, each doing ops operations (retries and
// re-sends count as operations), and returns when all are done.
func (w *lzWorkload) run(clients, ops int, seed uint64) {
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		c := &lzClient{w: w, id: i, rng: rand.New(rand.NewPCG(seed, uint64(i))), known: map[string]uint64{}}
		wg.Go(func() { c.run(ops) })
	}
	wg.Wait()
}

// lzClient is one client: one request at a time.
type lzClient struct {
	w     *lzWorkload
	id    int
	rng   *rand.Rand
	known map[string]uint64 // the last version this client saw per entity
	tags  int
	done  int
}

func (c *lzClient) run(ops int) {
	for c.done < ops {
		switch p := c.rng.IntN(100); {
		case p < 35:
			c.exec(&lzCall{Kind: lzReadOp, Entity: c.entity()})
		case p < 80:
			c.write(c.appendCall())
		default:
			c.batches()
		}
	}
}

func (c *lzClient) entity() string { return c.w.entities[c.rng.IntN(len(c.w.entities))] }

func (c *lzClient) tag() string {
	c.tags++
	return fmt.Sprintf("%s%d.%d", c.w.prefix, c.id, c.tags)
}

func (c *lzClient) key(keyed bool) lzID {
	if !keyed {
		return lzID{}
	}
	return lzID(messages.NewID())
}

// appendCall makes a single append: keyed or not; expected Any, NoStream,
// or Exactly the version this client last saw (sometimes one off).
func (c *lzClient) appendCall() *lzCall {
	e := c.entity()
	call := &lzCall{Kind: lzAppend, Items: []lzItem{{Entity: e, Tag: c.tag(), Key: c.key(c.rng.IntN(10) < 6)}}}
	switch q := c.rng.IntN(10); {
	case q < 3:
		call.Expect = messages.Any()
	case q < 5:
		call.Expect = messages.NoStream()
	default:
		v := c.known[e]
		switch c.rng.IntN(8) {
		case 0:
			v++
		case 1:
			v = max(v, 1) - 1
		}
		call.Expect = messages.Exactly(v)
	}
	return call
}

// batches sends a batch; a conditional one refused is tried again as a
// command would, up to twice: the same entities read again, new events
// and conditions.
func (c *lzClient) batches() {
	call, conditional := c.batchCall(nil)
	for n := 0; c.write(call).Result == lzConflict && conditional && n < 2; n++ {
		var es []string
		for _, it := range call.Items {
			es = append(es, it.Entity)
		}
		call, _ = c.batchCall(es)
	}
}

// batchCall makes an atomic batch of 2-3 items over random entities, all
// keyed or none. Half of them are conditional: the first item of an
// entity mostly expects the version this client last saw of it (see
// guess), and now and then a later item of the same entity expects the
// version after the earlier ones (which holds if the first item's does,
// unless guess is off on purpose); often over two entities, so that one
// entity's stale condition refuses the items on the other. Half of the
// conditional ones read their entities first (as a command loads its
// state), so that more of them hold. With entities set (a retry), it
// is conditional, on those entities, and reads them first.
func (c *lzClient) batchCall(entities []string) (call *lzCall, conditional bool) {
	keyed, retry := c.rng.IntN(2) == 0, entities != nil
	conditional = retry || c.rng.IntN(2) == 0
	if !retry {
		entities = make([]string, 2+c.rng.IntN(2))
		for i := range entities {
			entities[i] = c.entity()
		}
	}
	call = &lzCall{Kind: lzBatch, Items: make([]lzItem, len(entities))}
	for i, e := range entities {
		call.Items[i].Entity = e
	}
	if conditional && (retry || c.rng.IntN(2) == 0) {
		read := map[string]bool{}
		for _, it := range call.Items {
			if !read[it.Entity] {
				read[it.Entity] = true
				c.exec(&lzCall{Kind: lzReadOp, Entity: it.Entity, Note: "before a conditional batch"})
			}
		}
	}
	earlier := map[string]uint64{} // items so far per entity
	for i := range call.Items {
		e := call.Items[i].Entity
		it := lzItem{Entity: e, Tag: c.tag(), Key: c.key(keyed)}
		k, again := earlier[e]
		switch {
		case !conditional:
		case !again && c.rng.IntN(4) != 0:
			it.Expect = c.guess(e, 0)
		case again && c.rng.IntN(4) == 0:
			it.Expect = c.guess(e, k)
		}
		earlier[e]++
		call.Items[i] = it
	}
	return call, conditional
}

// guess is a batch item's condition on entity e after k earlier items of
// the batch on it: the version this client last saw plus k (NoStream for
// 0, half of the time), stale when others wrote since, and one off on
// purpose one time in six.
func (c *lzClient) guess(e string, k uint64) messages.ExpectedVersion {
	v := c.known[e] + k
	switch c.rng.IntN(12) {
	case 0:
		v++
	case 1:
		v = max(v, 1) - 1
	}
	if v == 0 && c.rng.IntN(2) == 0 {
		return messages.NoStream()
	}
	return messages.Exactly(v)
}

// write sends an append or a batch; a keyed one that was not written or
// whose outcome is unknown is retried as it was (same keys, tags and
// expected versions) up to three times; a keyed one that was written is
// sometimes sent again, which must replay it. It returns the last answer
// but a re-send's.
func (c *lzClient) write(call *lzCall) *lzReturn {
	r := c.exec(call)
	if call.Items[0].Key == (lzID{}) {
		return r
	}
	for n := 1; n <= 3 && (r.Result == lzNotWritten || r.Result == lzUnknown) && c.rng.IntN(5) != 0; n++ {
		again := *call
		again.Note = fmt.Sprintf("retry %d", n)
		r = c.exec(&again)
	}
	if r.Result == lzOK && !r.Receipts[0].Replayed && c.rng.IntN(10) == 0 {
		again := *call
		again.Note = "re-send"
		c.exec(&again)
	}
	return r
}

// exec records the call, makes it, and records the answer.
func (c *lzClient) exec(call *lzCall) *lzReturn {
	c.done++
	id := c.w.log.call(c.id, call)
	r := c.w.do(call)
	c.w.log.ret(id, c.id, r)
	for i, rc := range r.Receipts {
		e := call.Items[i].Entity
		c.known[e] = max(c.known[e], rc.Version)
	}
	if f := r.Conflict; f != nil && f.Item >= 0 && f.Item < len(call.Items) {
		// The version the entity had, as the refusal reports it.
		v := f.Actual
		for _, it := range call.Items[:f.Item] {
			if it.Entity == f.Entity && v > 0 {
				v--
			}
		}
		c.known[f.Entity] = max(c.known[f.Entity], v)
	}
	if call.Kind == lzReadOp && r.Result == lzOK {
		c.known[call.Entity] = uint64(len(r.Events))
	}
	return r
}

// do makes one call through the store.
func (w *lzWorkload) do(call *lzCall) *lzReturn {
	if call.Kind == lzReadOp {
		evs, err := w.store.Stream(lzCoord(call.Entity), 1)
		if err != nil {
			return &lzReturn{Result: lzError, Err: err.Error()}
		}
		r := &lzReturn{Result: lzOK}
		for _, ev := range evs {
			r.Events = append(r.Events, lzRead{Tag: string(ev.Payload), ID: lzID(ev.ID), Version: ev.Version})
		}
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	var rs []messages.Receipt
	var err error
	if call.Kind == lzAppend {
		it := call.Items[0]
		var rc messages.Receipt
		rc, err = w.store.Append(ctx, &messages.Append{Coordinate: lzCoord(it.Entity), Kind: lzKind,
			Payload: []byte(it.Tag), Expected: call.Expect, IdempotencyKey: messages.ID(it.Key)})
		rs = []messages.Receipt{rc}
	} else {
		items := make([]messages.BatchItem, len(call.Items))
		for i, it := range call.Items {
			items[i] = messages.BatchItem{Coordinate: lzCoord(it.Entity), Kind: lzKind, Payload: []byte(it.Tag),
				IdempotencyKey: messages.ID(it.Key), Expected: it.Expect}
		}
		rs, err = w.store.AppendBatch(ctx, &messages.AppendBatch{Items: items})
	}
	if err != nil {
		r := &lzReturn{Result: lzClassify(err), Err: err.Error()}
		if r.Result == lzConflict {
			r.Conflict = lzConflictOf(call, err)
		}
		return r
	}
	r := &lzReturn{Result: lzOK}
	for _, rc := range rs {
		r.Receipts = append(r.Receipts, lzReceipt{Version: rc.Version, ID: lzID(rc.EventID), Replayed: rc.Replayed})
	}
	return r
}

// lzConflictOf is what a version conflict says: for a batch, the item a
// *messages.BatchError names; the *messages.VersionConflictError's
// coordinate, condition and version. What it lacks is left out, for
// lzOperations to report.
func lzConflictOf(call *lzCall, err error) *lzRefusal {
	var vc *messages.VersionConflictError
	if !errors.As(err, &vc) {
		return nil
	}
	r := &lzRefusal{Entity: vc.Coordinate.Entity, Expected: vc.Expected, Actual: vc.Actual}
	if vc.Coordinate.Scope != lzCoord("").Scope {
		r.Entity = vc.Coordinate.String()
	}
	if call.Kind == lzBatch {
		var be *messages.BatchError
		r.Item = -1
		if errors.As(err, &be) {
			r.Item = be.Item
		}
	}
	return r
}

// lzClassify says what an append's or a batch's error means for the model.
func lzClassify(err error) string {
	switch {
	case errors.Is(err, messages.ErrVersionConflict):
		return lzConflict
	case errors.Is(err, messages.ErrWriterCrashed), errors.Is(err, messages.ErrOverloaded):
		return lzNotWritten // nothing was written, now or after any reopen
	case errors.Is(err, messages.ErrOutcomeUnknown), errors.Is(err, messages.ErrWriterStopped),
		errors.Is(err, context.DeadlineExceeded):
		return lzUnknown
	}
	return lzError
}
