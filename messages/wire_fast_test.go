package messages

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// marshalSorted is msgpack.Marshal with sorted map keys: the one of
// msgpack's outputs (which order a TraceCarrier randomly) that the
// hand-written encoders write. It differs from msgpack.Marshal in nothing
// else for these messages.
func marshalSorted(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	require.NoError(t, enc.Encode(v))
	return buf.Bytes()
}

// newOf returns a new zero value of v's type (v is a pointer).
func newOf(v any) any { return reflect.New(reflect.TypeOf(v).Elem()).Interface() }

// unmarshalRef decodes b with msgpack into a new value of v's type.
func unmarshalRef(t testing.TB, b []byte, v any) any {
	ref := newOf(v)
	require.NoError(t, msgpack.Unmarshal(b, ref))
	return ref
}

// hasFailure reports whether m is a reply with a Failure (encoded and
// decoded by msgpack itself).
func hasFailure(m any) bool {
	switch m := m.(type) {
	case *AppendReply:
		return m.Failure != nil
	case *AppendBatchReply:
		return m.Failure != nil
	}
	return false
}

// traceLen is the number of TraceCarrier entries in m: with two or more,
// msgpack.Marshal's own order is random.
func traceLen(m any) int {
	switch m := m.(type) {
	case *Append:
		return len(m.Trace)
	case *AppendBatch:
		return len(m.Trace)
	}
	return 0
}

func TestWireFastMatchesMsgpack(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	g := wireGen{rand.New(rand.NewPCG(seed, 1))}
	fast := map[string]int{}
	for range 3000 {
		m := g.message()
		got, err := wireBody(m)
		require.NoError(t, err)
		require.Equal(t, marshalSorted(t, m), got, "%T %+v", m, m)
		if !hasFailure(m) {
			hint := m.(interface{ sizeHint() int }).sizeHint()
			require.LessOrEqual(t, len(got), hint, "%T: the buffer never grows", m)
		}
		if traceLen(m) <= 1 {
			want, err := msgpack.Marshal(m)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}

		ref := unmarshalRef(t, got, m)
		dec := newOf(m)
		ok := decodeFast(got, dec)
		require.Equal(t, !hasFailure(m), ok, "the fast decoder reads what the fast encoder writes")
		if ok {
			require.Equal(t, ref, dec)
			fast[reflect.TypeOf(m).Elem().Name()]++
		} else {
			require.Equal(t, newOf(m), dec, "a fast decoder that gives up leaves the message untouched")
		}
	}
	t.Logf("decoded fast: %v", fast)
	require.Len(t, fast, 4, "every type had bodies the fast decoder read")
}

// Edge values by hand, beside the random ones: zero messages, maxima, every
// optional field empty but not nil.
func TestWireFastEdges(t *testing.T) {
	var maxID ID
	for i := range maxID {
		maxID[i] = 0xff
	}
	long := string(bytes.Repeat([]byte("x"), 70000))
	for _, m := range []any{
		&Append{},
		&Append{Payload: []byte{}, Trace: TraceCarrier{}, Metadata: Metadata{}, Bypass: &Bypass{}},
		&Append{Coordinate: Coordinate{Entity: long, Scope: long[:300]}, Kind: 0xffff, Payload: []byte(long),
			CorrelationID: maxID, CausationID: maxID, IdempotencyKey: maxID, Expected: ExpectedVersion{Mode: 0xff, Version: 1<<64 - 1},
			Trace: TraceCarrier{"traceparent": long}, Metadata: Metadata{long: long, "": ""}, Bypass: &Bypass{Reason: long, Justification: "j"}},
		&AppendReply{},
		&AppendReply{Receipt: Receipt{EventID: maxID, Sequence: 1<<64 - 1, Version: 1<<64 - 1, Segment: 1<<64 - 1, Offset: -1 << 63, Replayed: true}},
		&AppendReply{Failure: &Error{}},
		&AppendBatch{},
		&AppendBatch{Items: BatchItems{}, Trace: TraceCarrier{}},
		&AppendBatch{Items: BatchItems{{}, {Causation: CausationRef{Mode: 0xff, ID: maxID, Index: math.MinInt}}, {Causation: CausationRef{Index: math.MaxInt}}}},
		&AppendBatchReply{},
		&AppendBatchReply{Receipts: Receipts{}},
		&AppendBatchReply{Receipts: Receipts{{}, {Offset: 1<<63 - 1}}},
		&AppendBatchReply{Failure: &Error{Code: CodeInvalidBatch, Batch: &BatchError{Item: -1, Cause: &Error{Code: CodeInvalidBatch}}}},
	} {
		want, err := msgpack.Marshal(m)
		require.NoError(t, err)
		got, err := wireBody(m)
		require.NoError(t, err)
		require.Equal(t, want, got, "%T", m)
		dec := newOf(m)
		if decodeFast(got, dec) {
			require.Equal(t, unmarshalRef(t, got, m), dec)
		} else {
			require.True(t, hasFailure(m), "%T", m)
		}
	}
}

// reorder re-encodes the msgpack value b with the entries of every map in
// a random order, the scalars' bytes unchanged; with extra, every
// non-empty map also gets an unknown field "zz" (a struct's, or a metadata
// entry).
func reorder(t testing.TB, r *rand.Rand, b []byte, extra bool) []byte {
	d := msgpack.NewDecoder(bytes.NewReader(b))
	var out bytes.Buffer
	e := msgpack.NewEncoder(&out)
	var walk func()
	walk = func() {
		c, err := d.PeekCode()
		require.NoError(t, err)
		switch {
		case c >= 0x80 && c <= 0x8f || c == 0xde || c == 0xdf:
			n, err := d.DecodeMapLen()
			require.NoError(t, err)
			entries := make([][]byte, 0, n+1)
			for range n {
				start := out.Len()
				raw, err := d.DecodeRaw()
				require.NoError(t, err)
				out.Write(raw)
				walk()
				entries = append(entries, bytes.Clone(out.Bytes()[start:]))
				out.Truncate(start)
			}
			if extra && n > 0 {
				entries = append(entries, []byte("\xa2zz\xa1v"))
			}
			r.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
			require.NoError(t, e.EncodeMapLen(len(entries)))
			for _, en := range entries {
				out.Write(en)
			}
		case c >= 0x90 && c <= 0x9f || c == 0xdc || c == 0xdd:
			n, err := d.DecodeArrayLen()
			require.NoError(t, err)
			require.NoError(t, e.EncodeArrayLen(n))
			for range n {
				walk()
			}
		default:
			raw, err := d.DecodeRaw()
			require.NoError(t, err)
			out.Write(raw)
		}
	}
	walk()
	return out.Bytes()
}

// Fields in another order decode fast, to msgpack's value; unknown fields
// make the fast decoder give up, and Deserialize still gives msgpack's
// value.
func TestWireFastDecodeReorderedAndExtra(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	g := wireGen{r}
	for range 1000 {
		m := g.message()
		body, err := wireBody(m)
		require.NoError(t, err)

		shuffled := reorder(t, r, body, false)
		dec := newOf(m)
		require.Equal(t, !hasFailure(m), decodeFast(shuffled, dec), "%T", m)
		if !hasFailure(m) {
			require.Equal(t, unmarshalRef(t, shuffled, m), dec)
		}

		extra := reorder(t, r, body, true)
		dec = newOf(m)
		require.False(t, decodeFast(extra, dec), "an unknown field at the top is left to msgpack")
		require.Equal(t, newOf(m), dec)
		back, err := (&Wire{Type: wireNameOf(m), Body: extra}).Deserialize()
		require.NoError(t, err)
		require.Equal(t, unmarshalRef(t, extra, m), back)
	}
}

func wireNameOf(m any) string {
	switch m.(type) {
	case *Append:
		return wireAppend
	case *AppendReply:
		return wireAppendReply
	case *AppendBatch:
		return wireAppendBatch
	}
	return wireAppendBatchReply
}

// Other encoders' forms of the same values: compact ints decode fast (the
// same numbers); array-encoded structs, a repeated field, a str where a bin
// belongs and trailing bytes are left to msgpack, with msgpack's result.
func TestWireFastDecodeOtherForms(t *testing.T) {
	m := &Append{Coordinate: Coordinate{Entity: "e", Scope: "s"}, Kind: 0x1234, Payload: []byte("p"),
		CorrelationID: ID{1}, Expected: Exactly(300), Bypass: &Bypass{Reason: "r"}}
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	require.NoError(t, enc.Encode(m))
	compact := bytes.Clone(buf.Bytes())
	dec := new(Append)
	require.True(t, decodeFast(compact, dec))
	require.Equal(t, m, dec)

	buf.Reset()
	enc = msgpack.NewEncoder(&buf)
	enc.UseArrayEncodedStructs(true)
	require.NoError(t, enc.Encode(m))
	arrays := bytes.Clone(buf.Bytes())

	body, err := wireBody(m)
	require.NoError(t, err)
	repeated := append([]byte{body[0] + 1}, body[1:]...) // kind twice: msgpack keeps the last
	repeated = append(repeated, "\xa4kind\xcd\x00\x07"...)
	strPayload := bytes.Replace(body, []byte("\xa7payload\xc4\x01p"), []byte("\xa7payload\xa1p"), 1)
	require.NotEqual(t, body, strPayload)
	trailing := append(bytes.Clone(body), 0xc0)

	for name, b := range map[string][]byte{"arrays": arrays, "repeated": repeated, "str payload": strPayload, "trailing": trailing} {
		dec := new(Append)
		require.False(t, decodeFast(b, dec), name)
		back, err := (&Wire{Type: wireAppend, Body: b}).Deserialize()
		require.NoError(t, err)
		require.Equal(t, unmarshalRef(t, b, m), back, name)
		require.IsType(t, &Append{}, back, name)
	}
}

// ToWire and Deserialize take the fast path for these messages, and the
// pooled msgpack path for the others; both give the message back.
func TestWireFastThroughToWire(t *testing.T) {
	g := wireGen{rand.New(rand.NewPCG(7, 7))}
	for range 200 {
		m := g.message().(remote.RootSerializable)
		w, err := m.Serialize()
		require.NoError(t, err)
		back, err := w.Deserialize()
		require.NoError(t, err)
		require.Equal(t, unmarshalRef(t, w.(*Wire).Body, m), back)
	}
	big := &ReadReply{Events: Events{{Payload: make([]byte, 100<<10)}}}
	for range 3 { // the pooled encoder and its (not kept) big buffer
		w, err := ToWire(wireReadReply, big)
		require.NoError(t, err)
		want, err := msgpack.Marshal(big)
		require.NoError(t, err)
		require.Equal(t, want, w.(*Wire).Body)
	}
	_, err := ToWire("batpak.Func", func() {})
	require.Error(t, err, "msgpack's error comes back")
}
