package actors

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

var kindB = messages.MustKind(1, 2)

// smallSegments is a Config whose 4 KiB segments make the test data span
// many of them.
func smallSegments() Config {
	return Config{Storage: storage.Options{SegmentSize: 4 << 10, Preallocate: -1}}
}

// askReader sends msg to the reader through a future and returns the reply.
func askReader(t *testing.T, f *fixture, msg any) any {
	t.Helper()
	res, err := f.sys.Root.RequestFuture(f.store.Reader(), msg, 10*time.Second).Result()
	require.NoError(t, err)
	return res
}

// readOne sends one read request and returns its successful reply, checking
// what every page promises: at most Limit events, Next 0 exactly at the
// end, never an empty page that is not the end.
func readOne(t *testing.T, f *fixture, req any) *messages.ReadReply {
	t.Helper()
	r, ok := askReader(t, f, req).(*messages.ReadReply)
	require.True(t, ok, "a *messages.ReadReply")
	require.NoError(t, r.Err())
	limit := limitOf(req)
	require.LessOrEqual(t, len(r.Events), limit)
	if r.End {
		require.Zero(t, r.Next, "Next is 0 at the end")
	} else {
		require.NotZero(t, r.Next)
		require.NotEmpty(t, r.Events, "a page that is not the end holds an event")
	}
	return r
}

func limitOf(req any) int {
	var l int
	switch r := req.(type) {
	case *messages.ReadStream:
		l = r.Limit
	case *messages.ReadQuery:
		l = r.Limit
	}
	n, err := messages.ReadLimit(l)
	if err != nil {
		panic(err)
	}
	return n
}

// moveTo sets where req's next page starts.
func moveTo(req any, next uint64) {
	switch r := req.(type) {
	case *messages.ReadStream:
		r.From = next
	case *messages.ReadQuery:
		if r.Backward {
			r.BeforeSeq = next
		} else {
			r.FromSeq = next
		}
	}
}

// readAll reads req page by page until End and returns the events of all
// pages, concatenated, and how many pages it took. The requests it sends
// are copies: req is left as it was.
func readAll(t *testing.T, f *fixture, req any) (all []messages.Event, pages int) {
	t.Helper()
	req = clone(req)
	for {
		r := readOne(t, f, req)
		all = append(all, r.Events...)
		pages++
		if r.End {
			return all, pages
		}
		require.Less(t, pages, 100_000, "paging does not end")
		moveTo(req, r.Next)
	}
}

func clone(req any) any {
	switch r := req.(type) {
	case *messages.ReadStream:
		c := *r
		return &c
	case *messages.ReadQuery:
		c := *r
		return &c
	}
	panic(fmt.Sprintf("%T", req))
}

func reversed(evs []messages.Event) []messages.Event {
	out := slices.Clone(evs)
	slices.Reverse(out)
	return out
}

// sameEvents compares event lists, an empty one equal to a nil one.
func sameEvents(t *testing.T, want, got []messages.Event, msgAndArgs ...any) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	require.Equal(t, want, got, msgAndArgs...)
}

// fillLog appends n events in batches of 10 over the entities order/0..4 and
// user/0..2, in two kinds, with payloads of varying size, and returns the
// entities.
func fillLog(t *testing.T, s *Store, n int) []messages.Coordinate {
	t.Helper()
	var ents []messages.Coordinate
	for i := range 5 {
		ents = append(ents, coord(fmt.Sprintf("order/%d", i)))
	}
	for i := range 3 {
		ents = append(ents, coord(fmt.Sprintf("user/%d", i)))
	}
	for i := 0; i < n; i += 10 {
		var items []messages.BatchItem
		for j := i; j < min(i+10, n); j++ {
			k := kind
			if j%3 == 0 {
				k = kindB
			}
			items = append(items, messages.BatchItem{Coordinate: ents[(j*7)%len(ents)], Kind: k,
				Payload: []byte(fmt.Sprintf("%d:%s", j, make([]byte, 50+j%150)))})
		}
		_, err := s.AppendBatch(ctx(t), &messages.AppendBatch{Items: items})
		require.NoError(t, err)
	}
	return ents
}

// segmentsOf counts the segments evs lie in.
func segmentsOf(evs []messages.Event) int {
	seen := map[uint64]bool{}
	for _, ev := range evs {
		seen[ev.Segment] = true
	}
	return len(seen)
}

// refQuery is what a query reads, from the Go API: the filter's events from
// FromSeq on, below BeforeSeq.
func refQuery(t *testing.T, s *Store, q *messages.ReadQuery) []messages.Event {
	t.Helper()
	all, err := s.Query(storage.Filter{EntityPrefix: q.EntityPrefix, Scope: q.Scope, Kinds: q.Kinds, FromSeq: q.FromSeq})
	require.NoError(t, err)
	var out []messages.Event
	for _, ev := range all {
		if q.BeforeSeq == 0 || ev.Sequence < q.BeforeSeq {
			out = append(out, ev)
		}
	}
	return out
}

// refStream is what a stream read reads, from the Go API.
func refStream(t *testing.T, s *Store, r *messages.ReadStream) []messages.Event {
	t.Helper()
	all, err := s.Stream(r.Coordinate, 1)
	require.NoError(t, err)
	if !r.Backward {
		return all[min(uint64(len(all)), max(r.From, 1)-1):]
	}
	if r.From != 0 && r.From < uint64(len(all)) {
		all = all[:r.From]
	}
	return reversed(all)
}

func TestReadStreamPagesEqualTheStream(t *testing.T) {
	f := spawn(t, smallSegments())
	ents := fillLog(t, f.store, 160)
	whole, err := f.store.Stream(ents[0], 1)
	require.NoError(t, err)
	require.Greater(t, len(whole), 15)
	require.Greater(t, segmentsOf(whole), 3, "the stream crosses segment boundaries")
	n := uint64(len(whole))

	for _, c := range []messages.Coordinate{ents[0], ents[6], coord("nobody")} {
		for _, backward := range []bool{false, true} {
			for _, from := range []uint64{0, 1, 2, n / 2, n - 1, n, n + 1, n + 50} {
				for _, limit := range []int{1, 3, 7, 0, messages.MaxReadPage} {
					req := &messages.ReadStream{Coordinate: c, From: from, Backward: backward, Limit: limit}
					t.Run(fmt.Sprintf("%s/backward=%v/from=%d/limit=%d", c.Entity, backward, from, limit), func(t *testing.T) {
						got, pages := readAll(t, f, req)
						want := refStream(t, f.store, req)
						sameEvents(t, want, got)
						require.Equal(t, max(1, (len(want)+limitOf(req)-1)/limitOf(req)), pages, "only full pages before the last")
					})
				}
			}
		}
	}
}

// The reference itself, pinned on an example: forward from 3 and backward
// from 3 of a five-event stream.
func TestReadStreamPositions(t *testing.T) {
	f := spawn(t, Config{})
	c := coord("five")
	for i := range 5 {
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: c, Kind: kind, Payload: []byte{byte(i)}})
		require.NoError(t, err)
	}
	versions := func(evs []messages.Event) (out []uint64) {
		for _, ev := range evs {
			out = append(out, ev.Version)
		}
		return out
	}
	tests := []struct {
		name string
		req  messages.ReadStream
		want []uint64
		next uint64 // of the first page, Limit 2
	}{
		{"forward from 0", messages.ReadStream{}, []uint64{1, 2, 3, 4, 5}, 3},
		{"forward from 3", messages.ReadStream{From: 3}, []uint64{3, 4, 5}, 5},
		{"forward from 6", messages.ReadStream{From: 6}, nil, 0},
		{"backward from 0 is the latest", messages.ReadStream{Backward: true}, []uint64{5, 4, 3, 2, 1}, 3},
		{"backward from 3", messages.ReadStream{From: 3, Backward: true}, []uint64{3, 2, 1}, 1},
		{"backward from 2 ends at 1", messages.ReadStream{From: 2, Backward: true}, []uint64{2, 1}, 0},
		{"backward from above the latest", messages.ReadStream{From: 99, Backward: true}, []uint64{5, 4, 3, 2, 1}, 3},
		{"forward from the largest version", messages.ReadStream{From: math.MaxUint64}, nil, 0},
		{"backward from the largest version", messages.ReadStream{From: math.MaxUint64, Backward: true}, []uint64{5, 4, 3, 2, 1}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Coordinate, req.Limit = c, 2
			got, _ := readAll(t, f, &req)
			require.Equal(t, tc.want, versions(got))
			require.Equal(t, tc.next, readOne(t, f, &req).Next)
		})
	}
}

func TestReadQueryPagesEqualTheQuery(t *testing.T) {
	f := spawn(t, smallSegments())
	fillLog(t, f.store, 120)
	all, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)
	require.Greater(t, segmentsOf(all), 5, "the log crosses segment boundaries")
	n := uint64(len(all))

	filters := []messages.ReadQuery{
		{},
		{EntityPrefix: "order/"},
		{EntityPrefix: "order/1"},
		{Scope: "test"},
		{Scope: "other"},
		{Kinds: messages.EventKinds{kindB}},
		{EntityPrefix: "user/", Kinds: messages.EventKinds{kind, kindB}},
		{EntityPrefix: "nomatch"},
	}
	ranges := [][2]uint64{{0, 0}, {5, 0}, {0, 40}, {17, 93}, {0, 1}, {1, 1}, {1, 2}, {50, 10}, {n - 1, 0}, {n, 0}, {n + 10, 0}, {0, n + 10}}
	for _, flt := range filters {
		for _, rg := range ranges {
			for _, backward := range []bool{false, true} {
				for _, limit := range []int{1, 4, 0} {
					if limit == 1 && rg[1] == 0 && rg[0] < n-1 && flt.EntityPrefix == "" {
						continue // the long reads are covered with the other limits
					}
					req := flt
					req.FromSeq, req.BeforeSeq, req.Backward, req.Limit = rg[0], rg[1], backward, limit
					t.Run(fmt.Sprintf("%+v", req), func(t *testing.T) {
						got, pages := readAll(t, f, &req)
						want := refQuery(t, f.store, &req)
						if backward {
							want = reversed(want)
						}
						sameEvents(t, want, got)
						require.Equal(t, max(1, (len(want)+limitOf(&req)-1)/limitOf(&req)), pages)
					})
				}
			}
		}
	}
}

func TestReadQueryNext(t *testing.T) {
	f := spawn(t, Config{})
	fillLog(t, f.store, 10) // sequences 0..9
	tests := []struct {
		name string
		req  messages.ReadQuery
		seqs []uint64
		next uint64
		end  bool
	}{
		{"forward", messages.ReadQuery{Limit: 3}, []uint64{0, 1, 2}, 3, false},
		{"forward from 4", messages.ReadQuery{FromSeq: 4, Limit: 3}, []uint64{4, 5, 6}, 7, false},
		{"forward to the end exactly", messages.ReadQuery{FromSeq: 7, Limit: 3}, []uint64{7, 8, 9}, 0, true},
		{"forward below 6", messages.ReadQuery{FromSeq: 3, BeforeSeq: 6, Limit: 3}, []uint64{3, 4, 5}, 0, true},
		{"backward", messages.ReadQuery{Backward: true, Limit: 3}, []uint64{9, 8, 7}, 7, false},
		{"backward below 5", messages.ReadQuery{BeforeSeq: 5, Backward: true, Limit: 3}, []uint64{4, 3, 2}, 2, false},
		{"backward to 0", messages.ReadQuery{BeforeSeq: 3, Backward: true, Limit: 3}, []uint64{2, 1, 0}, 0, true},
		{"backward down to FromSeq", messages.ReadQuery{FromSeq: 6, Backward: true, Limit: 4}, []uint64{9, 8, 7, 6}, 0, true},
		{"only sequence 0", messages.ReadQuery{BeforeSeq: 1, Backward: true}, []uint64{0}, 0, true},
		{"an empty range", messages.ReadQuery{FromSeq: 5, BeforeSeq: 5}, nil, 0, true},
		{"past the end", messages.ReadQuery{FromSeq: 10}, nil, 0, true},
		{"from the largest sequence", messages.ReadQuery{FromSeq: math.MaxUint64}, nil, 0, true},
		{"backward from the largest sequence", messages.ReadQuery{FromSeq: math.MaxUint64, Backward: true}, nil, 0, true},
		{"below the largest sequence", messages.ReadQuery{FromSeq: 8, BeforeSeq: math.MaxUint64, Backward: true}, []uint64{9, 8}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readOne(t, f, &tc.req)
			var seqs []uint64
			for _, ev := range r.Events {
				seqs = append(seqs, ev.Sequence)
			}
			require.Equal(t, tc.seqs, seqs)
			require.Equal(t, tc.next, r.Next)
			require.Equal(t, tc.end, r.End)
		})
	}
}

func TestReadDefaultAndLargestPage(t *testing.T) {
	f := spawn(t, Config{})
	c := coord("many")
	for i := 0; i < 1500; i += 500 {
		items := make([]messages.BatchItem, 500)
		for j := range items {
			items[j] = messages.BatchItem{Coordinate: c, Kind: kind}
		}
		_, err := f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: items})
		require.NoError(t, err)
	}
	r := readOne(t, f, &messages.ReadQuery{})
	require.Len(t, r.Events, messages.DefaultReadPage, "Limit 0 is the default page")
	require.Equal(t, uint64(messages.DefaultReadPage), r.Next)
	r = readOne(t, f, &messages.ReadStream{Coordinate: c, Backward: true})
	require.Len(t, r.Events, messages.DefaultReadPage)
	require.Equal(t, uint64(1500-messages.DefaultReadPage), r.Next)
	r = readOne(t, f, &messages.ReadStream{Coordinate: c, Limit: messages.MaxReadPage})
	require.Len(t, r.Events, 1500)
	require.True(t, r.End)
}

// A page stops before the event that would take its payloads over
// MaxReadPageBytes, but holds one event however large.
func TestReadPageByteCap(t *testing.T) {
	f := spawn(t, Config{Storage: storage.Options{MaxPayloadBytes: 6 << 20}})
	const mib = 1 << 20
	sizes := map[string][]int{
		"exact": {mib, mib, mib, mib, mib}, // four fill a page exactly
		"odd":   {600 << 10, 600 << 10, 600 << 10, 600 << 10, 600 << 10, 600 << 10, 600 << 10, 1},
		"huge":  {5 * mib, 5 * mib, 10},                  // over the cap alone
		"small": {10, messages.MaxReadPageBytes - 10, 1}, // the cap, then one byte more
		"mixed": {3 * mib, 2 * mib, 1, 4 * mib},
	}
	pages := map[string][][]int{ // payload sizes, page by page, forward
		"exact": {{mib, mib, mib, mib}, {mib}},
		"odd":   {{600 << 10, 600 << 10, 600 << 10, 600 << 10, 600 << 10, 600 << 10}, {600 << 10, 1}},
		"huge":  {{5 * mib}, {5 * mib}, {10}},
		"small": {{10, messages.MaxReadPageBytes - 10}, {1}},
		"mixed": {{3 * mib}, {2 * mib, 1}, {4 * mib}},
	}
	for _, name := range []string{"exact", "odd", "huge", "small", "mixed"} {
		for _, n := range sizes[name] {
			_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(name), Kind: kind, Payload: make([]byte, n)})
			require.NoError(t, err)
		}
	}
	for name, want := range pages {
		t.Run(name, func(t *testing.T) {
			req := &messages.ReadStream{Coordinate: coord(name)}
			var got [][]int
			for {
				r := readOne(t, f, req)
				var sz []int
				for _, ev := range r.Events {
					sz = append(sz, len(ev.Payload))
				}
				got = append(got, sz)
				if r.End {
					break
				}
				req.From = r.Next
			}
			require.Equal(t, want, got)
			// Limit still applies under the cap.
			r := readOne(t, f, &messages.ReadStream{Coordinate: coord(name), Limit: 1})
			require.Len(t, r.Events, 1)
		})
	}
	t.Run("query pages are greedy under the cap", func(t *testing.T) {
		for _, backward := range []bool{false, true} {
			req := &messages.ReadQuery{Backward: backward}
			ref := refQuery(t, f.store, req)
			if backward {
				ref = reversed(ref)
			}
			at := 0
			for {
				r := readOne(t, f, req)
				bytes := 0
				for _, ev := range r.Events {
					bytes += len(ev.Payload)
				}
				require.True(t, bytes <= messages.MaxReadPageBytes || len(r.Events) == 1, "over the cap: %d bytes", bytes)
				at += len(r.Events)
				if r.End {
					break
				}
				require.Greater(t, bytes+len(ref[at].Payload), messages.MaxReadPageBytes, "the next event would have fitted")
				moveTo(req, r.Next)
			}
			require.Equal(t, len(ref), at)
		}
	})
}

// A writer restart neither breaks a paged read nor its position: pages read
// before the restart go on after it, on the restarted writer's engine.
func TestReadPagesAcrossAWriterRestart(t *testing.T) {
	cfg := smallSegments()
	cfg.Policy = supervision.Bounded(3, time.Minute)
	f := spawn(t, cfg)
	ents := fillLog(t, f.store, 80)

	stream := &messages.ReadStream{Coordinate: ents[0], Limit: 3}
	first := readOne(t, f, stream)
	query := &messages.ReadQuery{EntityPrefix: "order/", Backward: true, Limit: 5}
	firstQ := readOne(t, f, query)

	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "reader test"})
	require.Eventually(t, func() bool { return f.store.Restarts() == 1 }, 10*time.Second, time.Millisecond)
	fillLog(t, f.store, 40)

	stream.From = first.Next
	rest, _ := readAll(t, f, stream)
	want, err := f.store.Stream(ents[0], 1)
	require.NoError(t, err)
	sameEvents(t, want, append(first.Events, rest...), "the stream, whole, with what came after the restart")

	query.BeforeSeq = firstQ.Next
	restQ, _ := readAll(t, f, query)
	wantQ := reversed(refQuery(t, f.store, &messages.ReadQuery{EntityPrefix: "order/", BeforeSeq: firstQ.Events[0].Sequence + 1}))
	sameEvents(t, wantQ, append(firstQ.Events, restQ...))

	sameEvents(t, refQuery(t, f.store, &messages.ReadQuery{}), mustReadAll(t, f, &messages.ReadQuery{Limit: 7}))
}

func mustReadAll(t *testing.T, f *fixture, req any) []messages.Event {
	t.Helper()
	evs, _ := readAll(t, f, req)
	return evs
}

// Reads through the reader during writer restarts: every page is answered
// (none fails), and each paged read is the log as the Go API reads it.
func TestReadsGoOnWhileTheWriterRestarts(t *testing.T) {
	cfg := smallSegments()
	cfg.Policy = supervision.Bounded(10, time.Minute)
	f := spawn(t, cfg)
	fillLog(t, f.store, 60)
	want := mustReadAll(t, f, &messages.ReadQuery{})
	done := make(chan struct{})
	reads := make(chan int, 1)
	go func() {
		n := 0
		defer func() { reads <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			req := &messages.ReadQuery{Limit: 4}
			for {
				res, err := f.sys.Root.RequestFuture(f.store.Reader(), req, 10*time.Second).Result()
				r, ok := res.(*messages.ReadReply)
				if err != nil || !ok || r.Err() != nil {
					t.Errorf("a read during restarts: %v %T", err, res)
					return
				}
				for _, ev := range r.Events {
					if ev.Sequence >= uint64(len(want)) || ev.ID != want[ev.Sequence].ID {
						t.Errorf("event %d is not the one the log holds", ev.Sequence)
						return
					}
				}
				if r.End {
					break
				}
				req.FromSeq = r.Next
			}
			n++
		}
	}()
	for i := 1; i <= 3; i++ {
		f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "reader test"})
		require.Eventually(t, func() bool { return f.store.Restarts() == i }, 10*time.Second, time.Millisecond)
	}
	close(done)
	require.Positive(t, <-reads, "whole paged reads completed")
}

// Paged reads while the writer appends: each read, forward or backward,
// is a gap-free run of the log in its order, and equals the log read
// afterwards. Appends land between the pages of each read (in lockstep),
// then from a goroutine of their own during whole rounds of reads.
func TestReadPagesWhileTheWriterAppends(t *testing.T) {
	f := spawn(t, smallSegments())
	live := coord("order/live")
	fillLog(t, f.store, 30)
	n := 0
	appendTwo := func(c context.Context) error {
		n++
		_, err := f.store.AppendBatch(c, &messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: live, Kind: kind, Payload: []byte(fmt.Sprint(n))},
			{Coordinate: coord(fmt.Sprintf("user/%d", n%3)), Kind: kindB, Payload: make([]byte, 100)},
		}})
		return err
	}
	for range 7 {
		require.NoError(t, appendTwo(ctx(t)))
	}
	requests := func() []any {
		return []any{
			&messages.ReadStream{Coordinate: live, Limit: 3},
			&messages.ReadStream{Coordinate: live, Backward: true, Limit: 3},
			&messages.ReadQuery{EntityPrefix: "order/", Limit: 5},
			&messages.ReadQuery{Backward: true, Limit: 20},
		}
	}
	type read struct {
		req any
		evs []messages.Event
	}
	var got []read
	for _, req := range requests() { // lockstep: an append after every page
		var evs []messages.Event
		for {
			r := readOne(t, f, req)
			evs = append(evs, r.Events...)
			require.NoError(t, appendTwo(ctx(t)))
			if r.End {
				break
			}
			moveTo(req, r.Next)
		}
		got = append(got, read{req, evs})
	}
	require.Greater(t, len(got[0].evs), 7, "the forward read took in the events appended between its pages")

	appended := make(chan error, 1)
	go func() { // n is the goroutine's from here on
		for range 200 {
			if err := appendTwo(ctx0()); err != nil {
				appended <- err
				return
			}
		}
		appended <- nil
	}()
	var appendErr error
	for rounds, finished := 0, false; rounds < 2 || !finished; rounds++ {
		for _, req := range requests() {
			got = append(got, read{req, mustReadAll(t, f, req)})
		}
		select {
		case appendErr = <-appended:
			finished = true
		default:
		}
	}
	require.NoError(t, appendErr)

	wholeLive, err := f.store.Stream(live, 1)
	require.NoError(t, err)
	for _, r := range got {
		require.NotEmpty(t, r.evs)
		switch req := r.req.(type) {
		case *messages.ReadStream:
			if req.Backward { // from the latest at the time down to 1
				sameEvents(t, reversed(wholeLive[:r.evs[0].Version]), r.evs)
			} else {
				sameEvents(t, wholeLive[:len(r.evs)], r.evs, "a prefix of the stream")
			}
		case *messages.ReadQuery:
			ref := refQuery(t, f.store, &messages.ReadQuery{EntityPrefix: req.EntityPrefix})
			if req.Backward { // from the newest at the time down to the first
				upTo := slices.IndexFunc(ref, func(ev messages.Event) bool { return ev.Sequence == r.evs[0].Sequence })
				require.GreaterOrEqual(t, upTo, 0)
				sameEvents(t, reversed(ref[:upTo+1]), r.evs)
			} else {
				sameEvents(t, ref[:len(r.evs)], r.evs, "a prefix of the log")
			}
		}
	}
}

// replyAsker is an application actor: on Started it sends msg to the
// reader with ctx.Request and hands the reply it receives to out.
type replyAsker struct {
	reader *actor.PID
	msg    any
	out    chan<- any
}

func (a *replyAsker) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(a.reader, a.msg)
	case *messages.ReadReply, *messages.ErrorReply:
		a.out <- m
	}
}

// askReaderFromActor sends msg to the reader from an actor and returns the
// reply that actor received.
func askReaderFromActor(t *testing.T, f *fixture, msg any) any {
	t.Helper()
	out := make(chan any, 1)
	f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &replyAsker{reader: f.store.Reader(), msg: msg, out: out}
	}))
	select {
	case r := <-out:
		return r
	case <-time.After(30 * time.Second): // a failure guard, not a wait
		t.Fatal("no reply")
		return nil
	}
}

// The reader's refusals are typed, from an actor and after a trip through
// msgpack; a bad coordinate is refused as an Append with it is.
func TestReadErrorsAreTyped(t *testing.T) {
	f := spawn(t, Config{})
	noScope := messages.Coordinate{Entity: "order/1"}
	nul := messages.Coordinate{Entity: "a\x00", Scope: "s"}
	appendFailure := func(c messages.Coordinate) *messages.Error {
		r, ok := askFromActor(t, f, &messages.Append{Coordinate: c, Kind: kind}).(*messages.AppendReply)
		require.True(t, ok)
		require.NotNil(t, r.Failure)
		return r.Failure
	}
	tests := []struct {
		name    string
		msg     any
		want    *messages.Error
		same    *messages.Error // the failure must equal this one
		unknown bool            // an ErrorReply, not a ReadReply
	}{
		{name: "stream without scope", msg: &messages.ReadStream{Coordinate: noScope}, want: messages.ErrInvalidCoordinate, same: appendFailure(noScope)},
		{name: "stream with NUL", msg: &messages.ReadStream{Coordinate: nul, Backward: true}, want: messages.ErrInvalidCoordinate, same: appendFailure(nul)},
		{name: "query prefix with NUL", msg: &messages.ReadQuery{EntityPrefix: nul.Entity}, want: messages.ErrInvalidCoordinate, same: appendFailure(nul)},
		{name: "query scope not UTF-8", msg: &messages.ReadQuery{Scope: "\xff"}, want: messages.ErrInvalidCoordinate,
			same: appendFailure(messages.Coordinate{Entity: "e", Scope: "\xff"})},
		{name: "stream limit over the largest", msg: &messages.ReadStream{Coordinate: coord("a"), Limit: messages.MaxReadPage + 1}, want: messages.ErrInvalidArgument},
		{name: "stream negative limit", msg: &messages.ReadStream{Coordinate: coord("a"), Limit: -1}, want: messages.ErrInvalidArgument},
		{name: "query limit over the largest", msg: &messages.ReadQuery{Limit: messages.MaxReadPage + 1}, want: messages.ErrInvalidArgument},
		{name: "query negative limit", msg: &messages.ReadQuery{Backward: true, Limit: -7}, want: messages.ErrInvalidArgument},
		{name: "nil stream request", msg: (*messages.ReadStream)(nil), want: messages.ErrInvalidArgument},
		{name: "nil query request", msg: (*messages.ReadQuery)(nil), want: messages.ErrInvalidArgument},
		{name: "an append", msg: &messages.Append{Coordinate: coord("a"), Kind: kind}, want: messages.ErrUnknownMessage, unknown: true},
		{name: "a string", msg: "hello", want: messages.ErrUnknownMessage, unknown: true},
		{name: "a request by value", msg: messages.ReadStream{Coordinate: coord("a")}, want: messages.ErrUnknownMessage, unknown: true},
		{name: "untyped nil", msg: nil, want: messages.ErrUnknownMessage, unknown: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, via := range []string{"actor", "future"} {
				var reply any
				if via == "actor" {
					reply = askReaderFromActor(t, f, tc.msg)
				} else {
					reply = askReader(t, f, tc.msg)
				}
				local, remote := readErr(t, reply, tc.unknown)
				for _, err := range []error{local, remote} {
					require.ErrorIs(t, err, tc.want, via)
					if tc.same != nil {
						require.Equal(t, tc.same, err, "%s: the error an Append gets", via)
						var ce *messages.CoordinateError
						require.ErrorAs(t, err, &ce)
					}
				}
				if tc.unknown {
					require.Contains(t, local.Error(), "batpak reader: unknown message")
				}
			}
		})
	}
	r := readOne(t, f, &messages.ReadQuery{})
	require.True(t, r.End, "the reader is unharmed")
}

// readErr returns the failure of a reply, and the failure after a msgpack
// round trip of the reply.
func readErr(t *testing.T, reply any, unknown bool) (local, remote error) {
	t.Helper()
	if unknown {
		r, ok := reply.(*messages.ErrorReply)
		require.True(t, ok, "%T", reply)
		back := roundTripped(t, r)
		return r.Err(), back.Err()
	}
	r, ok := reply.(*messages.ReadReply)
	require.True(t, ok, "%T", reply)
	require.Empty(t, r.Events)
	back := roundTripped(t, r)
	return r.Err(), back.Err()
}

func roundTripped[T any](t *testing.T, v *T) *T {
	t.Helper()
	b, err := msgpack.Marshal(v)
	require.NoError(t, err)
	out := new(T)
	require.NoError(t, msgpack.Unmarshal(b, out))
	return out
}

// Reads never queue behind the writer's mailbox: a writer blocked on a
// message does not hold a read up.
func TestReadsDoNotQueueBehindTheWriter(t *testing.T) {
	f := spawn(t, Config{})
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("a"), Kind: kind})
	require.NoError(t, err)
	release := make(chan struct{})
	defer close(release)
	f.sys.Root.Send(f.store.Writer(), &faults.Block{Release: release})
	appended := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("a"), Kind: kind}, 30*time.Second)
	r := readOne(t, f, &messages.ReadStream{Coordinate: coord("a")})
	require.Len(t, r.Events, 1, "the read is answered while the writer is blocked")
	select {
	case <-futureDone(appended):
		t.Fatal("the append was answered while the writer was blocked")
	default:
	}
}

func futureDone(fut *actor.Future) <-chan struct{} {
	done := make(chan struct{})
	go func() { _, _ = fut.Result(); close(done) }()
	return done
}

// The reader is named after Config.Name, answers from each store in one
// system, and is stopped by Close (a later request is a dead letter, not a
// wait).
func TestReaderNameAndClose(t *testing.T) {
	sys := quietSystem()
	defer sys.Shutdown()
	a, err := Spawn(sys, Config{Dir: t.TempDir()})
	require.NoError(t, err)
	b, err := Spawn(sys, Config{Dir: t.TempDir(), Name: "shop"})
	require.NoError(t, err)
	require.Equal(t, "batpak/reader", a.Reader().Id)
	require.Equal(t, "shop/reader", b.Reader().Id)
	_, err = b.Append(ctx(t), &messages.Append{Coordinate: coord("x"), Kind: kind})
	require.NoError(t, err)
	for s, want := range map[*Store]int{a: 0, b: 1} {
		res, err := sys.Root.RequestFuture(s.Reader(), &messages.ReadQuery{}, 10*time.Second).Result()
		require.NoError(t, err)
		require.Len(t, res.(*messages.ReadReply).Events, want)
	}
	require.NoError(t, a.Close(ctx(t)))
	_, err = sys.Root.RequestFuture(a.Reader(), &messages.ReadQuery{}, 10*time.Second).Result()
	require.ErrorIs(t, err, actor.ErrDeadLetter)
	require.NoError(t, b.Close(ctx(t)))
}

// A reader that cannot be spawned (its name is taken) fails Spawn, and
// the store is closed again: the directory can be opened at once.
func TestSpawnFailsWhenTheReaderNameIsTaken(t *testing.T) {
	sys := quietSystem()
	defer sys.Shutdown()
	_, err := sys.Root.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}), "taken/"+readerName)
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = Spawn(sys, Config{Dir: dir, Name: "taken"})
	require.ErrorIs(t, err, ErrNameTaken)
	s, err := Spawn(sys, Config{Dir: dir, Name: "free"})
	require.NoError(t, err, "the failed Spawn released the directory")
	require.NoError(t, s.Close(ctx(t)))
}
