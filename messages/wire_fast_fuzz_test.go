package messages

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// fastTypes are the messages with a fast decoder; a fuzz input's first
// byte picks one.
var fastTypes = []struct {
	name string
	mk   func() any
}{
	{wireAppend, func() any { return new(Append) }},
	{wireAppendReply, func() any { return new(AppendReply) }},
	{wireAppendBatch, func() any { return new(AppendBatch) }},
	{wireAppendBatchReply, func() any { return new(AppendBatchReply) }},
}

func fastTypeIndex(m any) byte {
	for i, ft := range fastTypes {
		if reflect.TypeOf(ft.mk()) == reflect.TypeOf(m) {
			return byte(i)
		}
	}
	panic("not a fast type")
}

// FuzzWireFastDecode decodes arbitrary bytes as a message of an append:
// whatever the fast decoder accepts, msgpack.Unmarshal accepts too, with
// the same value; checkBody refuses exactly what msgpack's Skip refuses;
// Deserialize never fails or panics.
func FuzzWireFastDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 3))
	g := wireGen{r}
	for range 60 {
		m := g.message()
		b, err := wireBody(m)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 2048 {
			continue
		}
		f.Add(fastTypeIndex(m), b)
		f.Add(fastTypeIndex(m), reorder(f, r, b, r.IntN(2) == 0))
	}
	f.Add(byte(0), []byte("\x81\xa7payload\xc6\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		ft := fastTypes[int(which)%len(fastTypes)]
		checked := checkBody(data)
		skipped := msgpack.NewDecoder(bytes.NewReader(data)).Skip()
		if (checked == nil) != (skipped == nil) {
			t.Fatalf("checkBody says %v, msgpack's Skip %v", checked, skipped)
		}
		fast := ft.mk()
		if decodeFast(data, fast) {
			if checked != nil {
				t.Fatalf("the fast decoder read what checkBody refuses (%v)", checked)
			}
			ref := ft.mk()
			if err := msgpack.Unmarshal(data, ref); err != nil {
				t.Fatalf("the fast decoder read what msgpack refuses: %v", err)
			}
			if !reflect.DeepEqual(ref, fast) {
				t.Fatalf("fast and msgpack disagree:\n%#v\n%#v", fast, ref)
			}
		} else if !reflect.DeepEqual(ft.mk(), fast) {
			t.Fatalf("a fast decoder that gave up changed the message: %#v", fast)
		}
		if _, err := (&Wire{Type: ft.name, Body: data}).Deserialize(); err != nil {
			t.Fatal(err)
		}
	})
}

// A []byte whose header claims gigabytes that the body does not hold is
// refused before msgpack allocates them.
func TestDeserializeRefusesHostileLengthsCheaply(t *testing.T) {
	for _, body := range [][]byte{
		[]byte("\x81\xa7payload\xc6\xff\xff\xff\xff"),
		[]byte("\x81\xa5items\x91\x81\xa7payload\xc6\x7f\xff\xff\xff"),
		[]byte("\x82\xa7payload\xc4\x01p\xa5zzzzz\xc6\xff\xff\xff\xf0"), // an unknown field
	} {
		for _, ft := range fastTypes[:3] {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := (&Wire{Type: ft.name, Body: body}).Deserialize()
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			u, ok := out.(*Undecodable)
			require.True(t, ok, "%T", out)
			require.ErrorIs(t, u.Failure, ErrInvalidArgument)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "%s %q", ft.name, body)
		}
	}
}

// checkBody's walk agrees with msgpack's Skip on every kind of value, and
// ignores what follows the first one.
func TestCheckBodyAgreesWithSkip(t *testing.T) {
	values := []any{nil, true, false, 0, -1, -33, 200, -200, 70000, -70000, int64(1 << 40), int64(-1 << 40), uint64(1 << 63),
		float32(1.5), 2.5, "", "s", string(make([]byte, 40)), string(make([]byte, 300)), string(make([]byte, 70000)),
		[]byte{}, make([]byte, 300), make([]byte, 70000), []int{1, 2}, make([]int, 20), make([]int, 70000),
		map[string]int{"a": 1}, map[int]bool{1: true, 2: false, 3: true, 4: false, 5: true, 6: false, 7: true, 8: false, 9: true,
			10: false, 11: true, 12: false, 13: true, 14: false, 15: true, 16: false},
		[]any{map[string]any{"x": []any{nil, "y", []byte("z")}}},
		msgpack.RawMessage{0xd4, 1, 2}, msgpack.RawMessage{0xd5, 1, 2, 3}, msgpack.RawMessage{0xd6, 1, 2, 3, 4, 5},
		msgpack.RawMessage{0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 0}, msgpack.RawMessage(append([]byte{0xd8, 1}, make([]byte, 16)...)),
		msgpack.RawMessage{0xc7, 2, 1, 9, 9}, msgpack.RawMessage{0xc8, 0, 2, 1, 9, 9}, msgpack.RawMessage{0xc9, 0, 0, 0, 2, 1, 9, 9},
	}
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, checkBody(b), "%T %v", v, b[:min(len(b), 8)])
		require.NoError(t, checkBody(append(b, 0xc1)), "bytes after the first value are not looked at")
		for cut := range len(b) {
			if cut > 64 && cut < len(b)-64 {
				continue // the header and the end are what matter
			}
			skip := msgpack.NewDecoder(bytes.NewReader(b[:cut])).Skip()
			require.Equal(t, skip == nil, checkBody(b[:cut]) == nil, "%T cut at %d", v, cut)
		}
	}
	require.Error(t, checkBody([]byte{0xc1}))
	require.Error(t, checkBody(nil))
}

// A body nested deeper than maxWireDepth is refused before msgpack's
// recursive decoder sees it; every batpak message nests far less.
func TestDeserializeRefusesDeepNesting(t *testing.T) {
	deep := func(n int) []byte {
		b := append([]byte{0x81, 0xa7}, "payload"...)
		for range n {
			b = append(b, 0x91) // an array of one...
		}
		return append(b, 0xc0) // ...around nil
	}
	require.ErrorIs(t, checkBody(deep(maxWireDepth)), errBodyTooDeep)
	require.NoError(t, checkBody(deep(maxWireDepth-3)))
	out, err := (&Wire{Type: "batpak.Append", Body: deep(1 << 20)}).Deserialize()
	require.NoError(t, err)
	u, ok := out.(*Undecodable)
	require.True(t, ok, "%T", out)
	require.ErrorIs(t, u.Failure, ErrInvalidArgument)

	// The deepest message batpak sends passes: a batch refused for a denial.
	rep := &AppendBatchReply{Failure: &Error{Code: CodeDenied, Batch: &BatchError{Item: 1,
		Cause: &Error{Code: CodeDenied, Denial: &DenialError{Denials: Denials{{Gate: "g", Code: "c", Message: "m"}}}}}}}
	w, err := rep.Serialize()
	require.NoError(t, err)
	require.NoError(t, checkBody(w.(*Wire).Body))
}
