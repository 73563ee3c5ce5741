package actors

import (
	"fmt"
	"iter"
	"slices"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// readerName is the reader's name after Config.Name: the reader is
// Name+"/reader", beside Name+"/writer".
const readerName = "reader"

// reader is the actor that answers read requests (*messages.ReadStream,
// *messages.ReadQuery, *messages.ReadCorrelation) with a *messages.ReadReply, one page at a time. It
// reads the store's current engine through the restart-aware read path
// (Store.read), as the Go API's reads do: never through the writer's
// mailbox, and on through a writer restart (a read caught by one is run
// again on the restarted writer's engine).
type reader struct{ s *Store }

func readerProps(s *Store) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &reader{s: s} })
}

// Receive implements actor.Actor.
func (r *reader) Receive(ctx actor.Context) {
	var reply any
	switch m := ctx.Message().(type) {
	case *actor.Stopped:
		if !r.s.sh.closing.Load() { // a Stop or PoisonPill from outside
			r.s.sys.Root.Send(r.s.supervisor, &readerStopped{who: ctx.Self()})
		}
		return
	case *actor.Started, *actor.Stopping, *actor.Restarting, *actor.Terminated, actor.AutoRespond:
		return
	case *messages.ReadStream:
		reply = r.s.readStream(m)
	case *messages.ReadQuery:
		reply = r.s.readQuery(m)
	case *messages.ReadCorrelation:
		reply = r.s.readCorrelation(m)
	case *messages.Undecodable:
		reply = m.Reply()
	default:
		reply = &messages.ErrorReply{Failure: &messages.Error{
			Code: messages.CodeUnknownMessage, Message: fmt.Sprintf("batpak reader: unknown message %T", m)}}
	}
	if ctx.Sender() != nil {
		ctx.Respond(reply)
	}
}

// readStream answers a ReadStream.
func (s *Store) readStream(m *messages.ReadStream) *messages.ReadReply {
	if err := m.Validate(); err != nil {
		return &messages.ReadReply{Failure: messages.ToError(err)}
	}
	limit, _ := messages.ReadLimit(m.Limit)
	return s.readPage(page{stream: true, coord: m.Coordinate, from: m.From, backward: m.Backward, limit: limit})
}

// readQuery answers a ReadQuery.
func (s *Store) readQuery(m *messages.ReadQuery) *messages.ReadReply {
	if err := m.Validate(); err != nil {
		return &messages.ReadReply{Failure: messages.ToError(err)}
	}
	limit, _ := messages.ReadLimit(m.Limit)
	f := storage.Filter{EntityPrefix: m.EntityPrefix, Scope: m.Scope, Kinds: m.Kinds}
	return s.readPage(page{filter: f, from: m.FromSeq, before: m.BeforeSeq, backward: m.Backward, limit: limit})
}

// readPage reads p from the current engine, across writer restarts.
func (s *Store) readPage(p page) *messages.ReadReply {
	r, err := read(s, func(e *storage.Engine) (messages.ReadReply, error) { return readPage(e, p) })
	if err != nil {
		return &messages.ReadReply{Failure: messages.ToError(err)}
	}
	return &r
}

// page is a validated read request.
type page struct {
	stream   bool                // one entity's events, else a query
	coord    messages.Coordinate // the stream
	filter   storage.Filter      // the query's prefix, scope and kinds
	from     uint64              // stream: ReadStream.From; query: FromSeq
	before   uint64              // query: BeforeSeq, exclusive (0 = none)
	backward bool
	limit    int // in [1, messages.MaxReadPage]
}

// readPage reads one page: at most p.limit events, fewer when their
// payloads would pass messages.MaxReadPageBytes (never none when one is
// left), and where the next page starts. It looks one event past the page
// to tell whether the page is the end.
func readPage(e *storage.Engine, p page) (messages.ReadReply, error) {
	var out messages.ReadReply
	bytes := 0
	for ev, err := range p.events(e) {
		if err != nil {
			return messages.ReadReply{}, err
		}
		n := len(out.Events)
		if n == p.limit || (n > 0 && bytes+len(ev.Payload) > messages.MaxReadPageBytes) {
			out.Next = p.next(&out.Events[n-1])
			return out, nil
		}
		ev.Payload = slices.Clone(ev.Payload) // the iterator reuses its buffer
		out.Events = append(out.Events, ev)
		bytes += len(ev.Payload)
	}
	out.End = true
	return out, nil
}

// next returns where the page after the one that ends with ev starts. It
// is never 0 when an event follows ev (a version before ev's is at least
// 1, a sequence before ev's at least 0).
func (p *page) next(ev *messages.Event) uint64 {
	switch {
	case p.stream && p.backward:
		return ev.Version - 1
	case p.stream:
		return ev.Version + 1
	case p.backward:
		return ev.Sequence
	default:
		return ev.Sequence + 1
	}
}

// events yields the events p selects, in p's order, through the engine's
// streaming reads: at most p.limit+1 of them (one past the page tells
// whether the page is the end).
func (p *page) events(e *storage.Engine) iter.Seq2[messages.Event, error] {
	if p.stream {
		return e.ReadStream(p.coord, storage.StreamRange{From: p.from, Backward: p.backward, Limit: p.limit + 1})
	}
	f := p.filter
	f.FromSeq, f.BeforeSeq, f.Backward, f.Limit = p.from, p.before, p.backward, p.limit+1
	return e.Read(f)
}
