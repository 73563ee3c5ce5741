package actors_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/anishathalye/porcupine"
	"github.com/batpak-go/batpak/messages"
)

// A history is a list of events in real-time order: a call is recorded
// before the request is sent, a return only after its answer arrived, and
// an end marks the end of a process's life (a SIGKILL), before which every
// request that had no answer yet either took effect or never will. The
// index of an event in the list is its time.

// lzID is an event id or a key, in hex in a history's JSON.
type lzID messages.ID

// MarshalText implements encoding.TextMarshaler.
func (i lzID) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(i[:])), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (i *lzID) UnmarshalText(b []byte) error {
	n, err := hex.Decode(i[:], b)
	if err == nil && n != len(i) {
		err = fmt.Errorf("id %q: %d bytes", b, n)
	}
	return err
}

// String renders the id in hex.
func (i lzID) String() string { return hex.EncodeToString(i[:]) }

// lzItem is one event an append or a batch writes.
type lzItem struct {
	Entity string                   `json:"e"`
	Tag    string                   `json:"t"`
	Key    lzID                     `json:"k"`          // zero: not keyed
	Expect messages.ExpectedVersion `json:"x,omitzero"` // a batch item's condition (an append's is lzCall.Expect)
}

// lzCall is a client's request.
type lzCall struct {
	Kind   string                   `json:"kind"`
	Items  []lzItem                 `json:"items,omitempty"`  // append: one; batch: several
	Expect messages.ExpectedVersion `json:"expect"`           // append only
	Entity string                   `json:"entity,omitempty"` // read
	Note   string                   `json:"note,omitempty"`
}

// lzReceipt is what a history keeps of a receipt.
type lzReceipt struct {
	Version  uint64 `json:"v"`
	ID       lzID   `json:"id"`
	Replayed bool   `json:"r,omitempty"`
}

// lzRead is what a history keeps of an event read.
type lzRead struct {
	Tag     string `json:"t"`
	ID      lzID   `json:"id"`
	Version uint64 `json:"v"`
}

// lzReturn is the answer to a call.
type lzReturn struct {
	Result   string      `json:"result"`
	Receipts []lzReceipt `json:"receipts,omitempty"`
	Events   []lzRead    `json:"events,omitempty"`
	Conflict *lzRefusal  `json:"conflict,omitempty"` // Result lzConflict: what the error says
	Err      string      `json:"err,omitempty"`
}

// lzRefusal is what a version conflict says: the item whose condition
// failed (0 for an append; a batch's *messages.BatchError names it) and
// its *messages.VersionConflictError.
type lzRefusal struct {
	Item     int                      `json:"item"`
	Entity   string                   `json:"e"`
	Expected messages.ExpectedVersion `json:"x"`
	Actual   uint64                   `json:"actual"` // the version the item was checked against
}

// lzEvent is one entry of a history.
type lzEvent struct {
	T      string    `json:"t"` // "call", "return" or "end"
	ID     int       `json:"id"`
	Client int       `json:"client"`
	Call   *lzCall   `json:"call,omitempty"`
	Return *lzReturn `json:"return,omitempty"`
}

// lzLog records a history. With out set, it also writes each event as a
// JSON line, in one write, before the call is made or after the answer
// came (the process under SIGKILL streams its history to its parent).
type lzLog struct {
	mu       sync.Mutex
	events   []lzEvent
	next     int
	out      io.Writer
	onReturn func(returns int) // called (outside the lock) after each return
	returns  int
}

func (l *lzLog) add(ev lzEvent) {
	if l.out != nil {
		b, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		if _, err := l.out.Write(append(b, '\n')); err != nil {
			panic(err)
		}
	}
	l.events = append(l.events, ev)
}

// call records a call and returns its id.
func (l *lzLog) call(client int, c *lzCall) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.next
	l.next++
	l.add(lzEvent{T: "call", ID: id, Client: client, Call: c})
	return id
}

// ret records the answer to call id.
func (l *lzLog) ret(id, client int, r *lzReturn) {
	l.mu.Lock()
	l.add(lzEvent{T: "return", ID: id, Client: client, Return: r})
	l.returns++
	n, hook := l.returns, l.onReturn
	l.mu.Unlock()
	if hook != nil {
		hook(n)
	}
}

// history returns a copy of the events recorded.
func (l *lzLog) history() []lzEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]lzEvent(nil), l.events...)
}

// lzOperations turns a history into porcupine operations (a batch gives
// one per entity it touches; a read that failed gives none) and checks
// what the model does not: event ids. Each tag names one event id, the
// same in every receipt and read, and a keyed event's id is derived from
// its key. It returns the problems found.
func lzOperations(h []lzEvent) (ops []porcupine.Operation, problems []string) {
	type open struct {
		at     int
		client int
		call   *lzCall
	}
	calls := map[int]open{}
	ids := map[string]lzID{}
	keyOf := map[string]lzID{}
	seeID := func(tag string, id lzID, where string) {
		if k, ok := keyOf[tag]; ok && k != (lzID{}) && id != lzID(messages.IDFromKey(messages.ID(k))) {
			problems = append(problems, fmt.Sprintf("%s: event %s has id %s, not the id of its key", where, tag, id))
		}
		if old, ok := ids[tag]; ok && old != id {
			problems = append(problems, fmt.Sprintf("%s: event %s has id %s, earlier %s", where, tag, id, old))
		}
		ids[tag] = id
	}
	// The end of the process's life that each time belongs to.
	ends := make([]int64, len(h))
	end := int64(len(h))
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].T == "end" {
			end = int64(i)
		}
		ends[i] = end
	}
	emit := func(o open, ret int64, r *lzReturn) {
		c := o.call
		if c.Kind == lzReadOp {
			if r.Result != lzOK {
				return // a failed read constrains nothing
			}
			out := lzOutput{Result: lzOK}
			for i, ev := range r.Events {
				out.Tags = append(out.Tags, ev.Tag)
				seeID(ev.Tag, ev.ID, "read "+c.Entity)
				if ev.Version != uint64(i)+1 {
					problems = append(problems, fmt.Sprintf("read %s: event %d has version %d", c.Entity, i, ev.Version))
				}
			}
			ops = append(ops, porcupine.Operation{ClientId: o.client, Call: int64(o.at), Return: ret,
				Input: lzInput{Kind: lzReadOp, Entity: c.Entity, Note: c.Note}, Output: out})
			return
		}
		for _, it := range c.Items {
			keyOf[it.Tag] = it.Key
		}
		if r.Result == lzOK && len(r.Receipts) != len(c.Items) {
			problems = append(problems, fmt.Sprintf("%s %v: %d receipts for %d items", c.Kind, c.Items, len(r.Receipts), len(c.Items)))
			r = &lzReturn{Result: lzUnknown}
		}
		if r.Result == lzConflict {
			if p := lzBadRefusal(c, r.Conflict); p != "" {
				problems = append(problems, fmt.Sprintf("%s %v: %s", c.Kind, c.Items, p))
				r = &lzReturn{Result: lzUnknown}
			}
		}
		late := false
		if r.Result == lzUnknown || r.Result == lzError {
			ret = ends[o.at] // it may still take effect until the process ends
			late = ret == int64(len(h))
		}
		var entities []string
		byEntity := map[string][]int{}
		for i, it := range c.Items {
			if _, ok := byEntity[it.Entity]; !ok {
				entities = append(entities, it.Entity)
			}
			byEntity[it.Entity] = append(byEntity[it.Entity], i)
		}
		for _, e := range entities {
			in := lzInput{Kind: c.Kind, Entity: e, Note: c.Note, Keyed: c.Items[0].Key != lzID{}}
			out := lzOutput{Result: r.Result, Settled: late}
			if r.Result == lzConflict {
				out.Result = lzRefused // unless it names an item on e
			}
			for j, i := range byEntity[e] {
				in.Tags = append(in.Tags, c.Items[i].Tag)
				in.Expects = append(in.Expects, c.expect(i))
				if r.Result == lzConflict && i == r.Conflict.Item {
					out.Result, out.Blamed, out.Actual = lzConflict, j, r.Conflict.Actual
				}
				if r.Result == lzOK {
					rc := r.Receipts[i]
					out.Versions = append(out.Versions, rc.Version)
					out.Replayed = rc.Replayed // the same for every item
					seeID(c.Items[i].Tag, rc.ID, "receipt")
				}
			}
			ops = append(ops, porcupine.Operation{ClientId: o.client, Call: int64(o.at), Return: ret, Input: in, Output: out})
		}
	}
	for i, ev := range h {
		switch ev.T {
		case "call":
			calls[ev.ID] = open{at: i, client: ev.Client, call: ev.Call}
		case "return":
			o, ok := calls[ev.ID]
			if !ok {
				problems = append(problems, fmt.Sprintf("a return without a call: %d", ev.ID))
				continue
			}
			delete(calls, ev.ID)
			if ev.Return.Result == lzError {
				problems = append(problems, fmt.Sprintf("%s %s%v: unexpected error: %s", o.call.Kind, o.call.Entity, o.call.Items, ev.Return.Err))
			}
			emit(o, int64(i), ev.Return)
		case "end":
			// The process died: what had no answer may have happened.
			for id, o := range calls {
				emit(o, int64(i), &lzReturn{Result: lzUnknown})
				delete(calls, id)
			}
		}
	}
	for _, o := range calls {
		emit(o, int64(len(h)), &lzReturn{Result: lzUnknown})
	}
	lzSettle(ops)
	return ops, problems
}

// expect is the condition of item i.
func (c *lzCall) expect(i int) messages.ExpectedVersion {
	if c.Kind == lzAppend {
		return c.Expect
	}
	return c.Items[i].Expect
}

// lzBadRefusal says what is wrong with the version conflict r that call c
// was answered, or "" if nothing is: it names an item of c that has a
// condition, on that item's entity, with that condition.
func lzBadRefusal(c *lzCall, r *lzRefusal) string {
	switch {
	case r == nil:
		return "a version conflict without its details"
	case r.Item < 0 || r.Item >= len(c.Items):
		return fmt.Sprintf("a version conflict naming item %d", r.Item)
	case c.expect(r.Item).IsAny():
		return fmt.Sprintf("a version conflict naming item %d, which has no condition", r.Item)
	case r.Entity != c.Items[r.Item].Entity || r.Expected != c.expect(r.Item):
		return fmt.Sprintf("a version conflict naming item %d with %s expecting %s, not %s expecting %s",
			r.Item, r.Entity, r.Expected, c.Items[r.Item].Entity, c.expect(r.Item))
	}
	return ""
}

// lzSettle decides the appends of unknown outcome that a later read
// settles (see the model): one whose events a read called after its
// return time shows has written them if it could; one whose events such a
// read does not show wrote nothing (events are never removed).
func lzSettle(ops []porcupine.Operation) {
	reads := map[string][]porcupine.Operation{}
	for _, op := range ops {
		if in := op.Input.(lzInput); in.Kind == lzReadOp {
			reads[in.Entity] = append(reads[in.Entity], op)
		}
	}
	for i, op := range ops {
		in, out := op.Input.(lzInput), op.Output.(lzOutput)
		if in.Kind == lzReadOp || out.Settled || (out.Result != lzUnknown && out.Result != lzError) {
			continue
		}
		var later *porcupine.Operation
		for j, r := range reads[in.Entity] {
			if r.Call > op.Return && (later == nil || r.Call < later.Call) {
				later = &reads[in.Entity][j]
			}
		}
		if later == nil {
			continue
		}
		seen := later.Output.(lzOutput).Tags
		present := 0
		for _, t := range in.Tags {
			if slices.Contains(seen, t) {
				present++
			}
		}
		switch present {
		case len(in.Tags):
			out.Settled = true
		case 0:
			out.Result = lzNotWritten
			in.Note = strings.TrimPrefix(in.Note+"; unknown, not there later", "; ")
		}
		ops[i].Input, ops[i].Output = in, out
	}
}
