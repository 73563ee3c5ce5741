package messages

import "errors"

// errBodyTruncated is checkBody's answer to a body that claims more bytes
// than it holds.
var errBodyTruncated = errors.New("msgpack: a length or count runs past the end of the body")

// errBodyTooDeep is checkBody's answer to a body that nests containers
// deeper than maxWireDepth.
var errBodyTooDeep = errors.New("msgpack: containers nested too deep")

// maxWireDepth bounds how deep a body's maps and arrays nest. No batpak
// message nests deeper than about 8 (an error's batch cause's denials);
// msgpack's decoder recurses once per level, so a hostile body of nested
// one-byte arrays could otherwise grow its stack by a frame per byte.
const maxWireDepth = 64

// checkBody walks the first msgpack value of b, as msgpack's Decoder.Skip
// does, and returns an error where Skip would: a length or count that runs
// past the end of b, or the code 0xc1. Decoding such a body with
// msgpack.Unmarshal fails as well, but only after msgpack v5.4.1 has
// allocated what a []byte field's header claims (up to 4 GiB for a 6-byte
// header); Deserialize checks the body before it lets msgpack decode it.
// Bytes after the first value are not looked at (msgpack ignores them).
func checkBody(b []byte) error {
	r := &wireReader{b: b}
	// open holds, per container being walked, the values it still has to
	// give; the body itself is one value.
	open := make([]uint64, 1, 8)
	open[0] = 1
	for len(open) > 0 && !r.bad {
		if open[len(open)-1] == 0 {
			open = open[:len(open)-1]
			continue
		}
		open[len(open)-1]--
		var inner uint64 // the values of a container this value opens
		switch c := r.code(); {
		case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixints, nil, bools
		case c >= 0x80 && c <= 0x8f:
			inner = 2 * uint64(r.count(uint64(c&0x0f)))
		case c >= 0x90 && c <= 0x9f:
			inner = uint64(r.count(uint64(c & 0x0f)))
		case c >= 0xa0 && c <= 0xbf:
			r.take(uint64(c & 0x1f))
		case c == 0xdc:
			inner = uint64(r.count(r.be(2)))
		case c == 0xdd:
			inner = uint64(r.count(r.be(4)))
		case c == 0xde:
			inner = 2 * uint64(r.count(r.be(2)))
		case c == 0xdf:
			inner = 2 * uint64(r.count(r.be(4)))
		case c == 0xc4 || c == 0xd9: // bin8, str8
			r.take(r.be(1))
		case c == 0xc5 || c == 0xda:
			r.take(r.be(2))
		case c == 0xc6 || c == 0xdb:
			r.take(r.be(4))
		case c == 0xc7: // ext8, ext16, ext32: length, type, data
			r.take(r.be(1) + 1)
		case c == 0xc8:
			r.take(r.be(2) + 1)
		case c == 0xc9:
			r.take(r.be(4) + 1)
		case c >= 0xd4 && c <= 0xd8: // fixext 1, 2, 4, 8, 16: type, data
			r.take(1 + 1<<(c-0xd4))
		case c == 0xcc || c == 0xd0:
			r.take(1)
		case c == 0xcd || c == 0xd1:
			r.take(2)
		case c == 0xce || c == 0xd2 || c == 0xca:
			r.take(4)
		case c == 0xcf || c == 0xd3 || c == 0xcb:
			r.take(8)
		default: // 0xc1, never used
			r.fail()
		}
		if inner > 0 && !r.bad {
			if len(open) >= maxWireDepth {
				return errBodyTooDeep
			}
			open = append(open, inner)
		}
	}
	if r.bad {
		return errBodyTruncated
	}
	return nil
}
