package messages

import "errors"

// errBodyTruncated is checkBody's answer to a body that claims more bytes
// than it holds.
var errBodyTruncated = errors.New("msgpack: a length or count runs past the end of the body")

// checkBody walks the first msgpack value of b, as msgpack's Decoder.Skip
// does, and returns an error where Skip would: a length or count that runs
// past the end of b, or the code 0xc1. Decoding such a body with
// msgpack.Unmarshal fails as well, but only after msgpack v5.4.1 has
// allocated what a []byte field's header claims (up to 4 GiB for a 6-byte
// header); Deserialize checks the body before it lets msgpack decode it.
// Bytes after the first value are not looked at (msgpack ignores them).
func checkBody(b []byte) error {
	r := &wireReader{b: b}
	for pending := 1; pending > 0 && !r.bad; pending-- {
		switch c := r.code(); {
		case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixints, nil, bools
		case c >= 0x80 && c <= 0x8f:
			pending += 2 * r.count(uint64(c&0x0f))
		case c >= 0x90 && c <= 0x9f:
			pending += r.count(uint64(c & 0x0f))
		case c >= 0xa0 && c <= 0xbf:
			r.take(uint64(c & 0x1f))
		case c == 0xdc:
			pending += r.count(r.be(2))
		case c == 0xdd:
			pending += r.count(r.be(4))
		case c == 0xde:
			pending += 2 * r.count(r.be(2))
		case c == 0xdf:
			pending += 2 * r.count(r.be(4))
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
	}
	if r.bad {
		return errBodyTruncated
	}
	return nil
}
