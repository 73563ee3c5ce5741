package format

import (
	"math"
	"slices"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// An event's metadata is the optional element before its hash: a msgpack
// map of str keys to str values, at least one entry, keys in strictly
// ascending byte order (so one map has one encoding, and a decoded map
// re-encodes to the bytes it came from). An event without metadata has no
// such element (15 elements, the layout of every frame written before
// metadata existed).

// appendMetadata appends m as a msgpack map with its keys sorted.
func appendMetadata(b []byte, m messages.Metadata) []byte {
	n := len(m)
	switch {
	case n < 16:
		b = append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xde, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	var small [8]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = AppendStr(b, k)
		b = AppendStr(b, m[k])
	}
	return b
}

// MetadataSize is the number of bytes the metadata element of an event
// with metadata m takes in its body: 0 when m is empty (no element).
func MetadataSize(m messages.Metadata) int {
	if len(m) == 0 {
		return 0
	}
	n := headerSize(len(m), 16)
	for k, v := range m {
		n += headerSize(len(k), 32) + len(k) + headerSize(len(v), 32) + len(v)
	}
	return n
}

// headerSize is the size of the shortest msgpack str (fix = 32) or map
// (fix = 16) header for n.
func headerSize(n, fix int) int {
	switch {
	case n < fix:
		return 1
	case fix == 32 && n <= math.MaxUint8:
		return 2
	case n <= math.MaxUint16:
		return 3
	}
	return 5
}

// metadata reads an event's metadata map: str keys in strictly ascending
// order, str values, at least one entry.
func (r *reader) metadata() messages.Metadata {
	c := r.byte1()
	var n uint64
	switch {
	case c&0xf0 == 0x80:
		n = uint64(c & 0x0f)
	case c == 0xde:
		n = r.beUint(2)
	case c == 0xdf:
		n = r.beUint(4)
	default:
		r.fail()
		return nil
	}
	if r.err != nil || n == 0 || n > uint64(len(r.b)-r.off)/2 { // each entry takes at least two bytes
		r.fail()
		return nil
	}
	m := make(messages.Metadata, min(n, 8))
	prev := ""
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.str()
		v := r.str()
		if i > 0 && strings.Compare(k, prev) <= 0 {
			r.fail()
		}
		m[k], prev = v, k
	}
	if r.err != nil {
		return nil
	}
	return m
}
