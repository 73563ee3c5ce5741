package typed

import (
	"encoding/binary"
	"fmt"
)

// maxDepth is the deepest nesting of arrays and maps a body may have: the
// msgpack decoder recurses once per level, and a payload of nested one-byte
// headers must not exhaust the stack.
const maxDepth = 256

// checkBounds walks the first msgpack value of body without decoding it
// and refuses one whose headers claim more than body holds (an array or
// map with more entries than bytes left, a str, bin or ext longer than
// what is left) or that nests deeper than maxDepth, so that decoding a
// hostile payload allocates about its size, never what its headers claim.
func checkBounds(body []byte) error {
	pending := []uint64{1} // per open level: values still to read
	off := 0
	for len(pending) > 0 {
		top := len(pending) - 1
		if pending[top] == 0 {
			pending = pending[:top]
			continue
		}
		pending[top]--
		if off >= len(body) {
			return fmt.Errorf("truncated at byte %d", off)
		}
		c := body[off]
		off++
		n, kids, err := header(body, &off, c)
		if err != nil {
			return err
		}
		left := uint64(len(body) - off)
		switch {
		case kids > 0 && kids > left:
			return fmt.Errorf("a container at byte %d claims %d values, %d bytes left", off, kids, left)
		case n > left:
			return fmt.Errorf("a value at byte %d claims %d bytes, %d left", off, n, left)
		}
		off += int(n)
		if kids > 0 {
			if len(pending) >= maxDepth {
				return fmt.Errorf("nested deeper than %d", maxDepth)
			}
			pending = append(pending, kids)
		}
	}
	return nil
}

// header reads the rest of the header that starts with c: n is the number
// of data bytes that follow it, kids the number of values it contains (an
// array's entries, twice a map's).
func header(b []byte, off *int, c byte) (n, kids uint64, err error) {
	size := func(w int) (uint64, error) {
		if len(b)-*off < w {
			return 0, fmt.Errorf("truncated header at byte %d", *off)
		}
		var v uint64
		switch w {
		case 1:
			v = uint64(b[*off])
		case 2:
			v = uint64(binary.BigEndian.Uint16(b[*off:]))
		case 4:
			v = uint64(binary.BigEndian.Uint32(b[*off:]))
		case 8:
			v = binary.BigEndian.Uint64(b[*off:])
		}
		*off += w
		return v, nil
	}
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 0, 0, nil // fixint, nil, bool
	case c&0xf0 == 0x80:
		return 0, 2 * uint64(c&0x0f), nil
	case c&0xf0 == 0x90:
		return 0, uint64(c & 0x0f), nil
	case c&0xe0 == 0xa0:
		return uint64(c & 0x1f), 0, nil
	}
	switch c {
	case 0xcc, 0xd0:
		return 1, 0, nil
	case 0xcd, 0xd1:
		return 2, 0, nil
	case 0xca, 0xce, 0xd2:
		return 4, 0, nil
	case 0xcb, 0xcf, 0xd3:
		return 8, 0, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1..16: type byte + data
		return 1 + 1<<(c-0xd4), 0, nil
	case 0xc4, 0xd9:
		n, err = size(1)
	case 0xc5, 0xda:
		n, err = size(2)
	case 0xc6, 0xdb:
		n, err = size(4)
	case 0xc7, 0xc8, 0xc9: // ext 8/16/32: length, type byte, data
		n, err = size(1 << (c - 0xc7))
		n++
	case 0xdc:
		kids, err = size(2)
	case 0xdd:
		kids, err = size(4)
	case 0xde:
		kids, err = size(2)
		kids *= 2
	case 0xdf:
		kids, err = size(4)
		kids *= 2
	default: // 0xc1: never used
		return 0, 0, fmt.Errorf("invalid msgpack byte 0x%02x", c)
	}
	return n, kids, err
}
