package messages

import (
	"math"
	"math/rand/v2"
	"strings"
)

// Random messages of an append for the differential tests of the
// hand-written msgpack (wire_fast_test.go). Lengths and numbers favour the
// edges of msgpack's forms (fixstr/str8/str16/str32, bin8/bin16/bin32,
// fixmap/map16, fixarray/array16, every int width), and every optional
// field is sometimes nil, sometimes empty, sometimes set.

type wireGen struct{ r *rand.Rand }

// length picks a length at or near one of msgpack's form boundaries.
func (g wireGen) length() int {
	edges := []int{0, 1, 15, 16, 31, 32, 33, 255, 256, 257, 1000, 65535, 65536, 65537}
	if g.r.IntN(4) == 0 {
		return edges[g.r.IntN(len(edges))]
	}
	return g.r.IntN(40)
}

func (g wireGen) str() string {
	n := g.length()
	if n > 2000 && g.r.IntN(4) != 0 {
		n = g.r.IntN(40) // big strings sometimes, not always
	}
	return strings.Repeat(string(rune('a'+g.r.IntN(26))), n)
}

func (g wireGen) bytes() []byte {
	switch g.r.IntN(6) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	b := make([]byte, g.length())
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g wireGen) u64() uint64 {
	switch g.r.IntN(6) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return uint64(g.r.IntN(300))
	case 3:
		return 1 << g.r.IntN(64)
	case 4:
		return uint64(intEdges[g.r.IntN(len(intEdges))])
	}
	return g.r.Uint64()
}

// intEdges are the numbers at the edges of msgpack's int forms.
var intEdges = []int64{0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000,
	-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64, math.MaxInt64}

func (g wireGen) i64() int64 {
	switch g.r.IntN(4) {
	case 0:
		return intEdges[g.r.IntN(len(intEdges))]
	case 1:
		return -int64(g.r.IntN(40000))
	}
	return int64(g.u64())
}

func (g wireGen) id() (id ID) {
	if g.r.IntN(3) == 0 {
		return id
	}
	for i := range id {
		id[i] = byte(g.r.Uint32())
	}
	return id
}

func (g wireGen) hash() (h Hash) {
	if g.r.IntN(5) == 0 {
		return h
	}
	for i := range h {
		h[i] = byte(g.r.Uint32())
	}
	return h
}

func (g wireGen) strMap() map[string]string {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	n := 1 + g.r.IntN(3)
	if g.r.IntN(5) == 0 {
		n = 14 + g.r.IntN(6) // map16 from 16 entries
	}
	m := make(map[string]string, n)
	for range n {
		m[g.str()] = g.str()
	}
	return m
}

func (g wireGen) coordinate() Coordinate { return Coordinate{Entity: g.str(), Scope: g.str()} }

func (g wireGen) expected() ExpectedVersion {
	e := ExpectedVersion{Mode: ExpectMode(g.r.IntN(256))}
	if g.r.IntN(2) == 0 {
		e.Version = g.u64()
	}
	return e
}

func (g wireGen) bypass() *Bypass {
	switch g.r.IntN(4) {
	case 0, 1:
		return nil
	case 2:
		return &Bypass{Reason: g.str()}
	}
	return &Bypass{Reason: g.str(), Justification: g.str()}
}

func (g wireGen) append() *Append {
	return &Append{Coordinate: g.coordinate(), Kind: EventKind(g.r.Uint32()), Payload: g.bytes(),
		CorrelationID: g.id(), CausationID: g.id(), Expected: g.expected(), IdempotencyKey: g.id(),
		Trace: g.strMap(), Metadata: g.strMap(), Bypass: g.bypass()}
}

func (g wireGen) receipt() Receipt {
	return Receipt{EventID: g.id(), Sequence: g.u64(), Version: g.u64(), Hash: g.hash(),
		Segment: g.u64(), Offset: g.i64(), Replayed: g.r.IntN(2) == 0}
}

// failure is nil, or an error with one or all of the details.
func (g wireGen) failure() *Error {
	if g.r.IntN(2) == 0 {
		return nil
	}
	e := &Error{Code: ErrorCode(g.r.IntN(25)), Message: g.str()}
	all := g.r.IntN(3) == 0
	pick := g.r.IntN(6)
	if all || pick == 0 {
		e.VersionConflict = &VersionConflictError{Coordinate: g.coordinate(), Expected: g.expected(), Actual: g.u64()}
	}
	if all || pick == 1 {
		e.Corruption = &CorruptionError{Segment: g.u64(), Offset: g.i64(), Reason: g.str()}
	}
	if all || pick == 2 {
		e.Coordinate = &CoordinateError{Field: g.str(), Reason: g.str()}
	}
	if all || pick == 3 {
		e.IdempotencyConflict = &IdempotencyConflictError{Key: g.id(), EventID: g.id(), Existing: g.coordinate(),
			ExistingKind: EventKind(g.r.Uint32()), Requested: g.coordinate(), RequestedKind: EventKind(g.r.Uint32()), Field: g.str()}
	}
	if all || pick == 4 {
		e.Batch = &BatchError{Item: int(g.i64()), Cause: &Error{Code: CodeDenied, Message: g.str(),
			Denial: &DenialError{Denials: Denials{{Gate: g.str(), Code: g.str(), Message: g.str()}}}}}
	}
	if all || pick == 5 {
		e.Denial = &DenialError{Denials: Denials{{Gate: g.str()}, {Gate: g.str(), Code: g.str(), Message: g.str()}}}
	}
	return e
}

func (g wireGen) appendReply() *AppendReply {
	return &AppendReply{Receipt: g.receipt(), Failure: g.failure()}
}

// count is a list's length: nil (-1), empty, short, or past fixarray.
func (g wireGen) count() int {
	switch g.r.IntN(8) {
	case 0:
		return -1
	case 1:
		return 0
	case 2:
		return 15 + g.r.IntN(4)
	}
	return 1 + g.r.IntN(4)
}

func (g wireGen) causation() CausationRef {
	c := CausationRef{Mode: CauseMode(g.r.IntN(256))}
	if g.r.IntN(2) == 0 {
		c.ID = g.id()
	}
	if g.r.IntN(2) == 0 {
		c.Index = int(g.i64())
	}
	return c
}

func (g wireGen) appendBatch() *AppendBatch {
	m := &AppendBatch{Trace: g.strMap(), Bypass: g.bypass()}
	if n := g.count(); n >= 0 {
		m.Items = make(BatchItems, n)
		for i := range m.Items {
			m.Items[i] = BatchItem{Coordinate: g.coordinate(), Kind: EventKind(g.r.Uint32()), Payload: g.bytes(),
				CorrelationID: g.id(), Causation: g.causation(), IdempotencyKey: g.id(), Expected: g.expected(), Metadata: g.strMap()}
		}
	}
	return m
}

func (g wireGen) appendBatchReply() *AppendBatchReply {
	m := &AppendBatchReply{Failure: g.failure()}
	if n := g.count(); n >= 0 {
		m.Receipts = make(Receipts, n)
		for i := range m.Receipts {
			m.Receipts[i] = g.receipt()
		}
	}
	return m
}

// message is a random message of one of the four types.
func (g wireGen) message() any {
	switch g.r.IntN(4) {
	case 0:
		return g.append()
	case 1:
		return g.appendReply()
	case 2:
		return g.appendBatch()
	}
	return g.appendBatchReply()
}
