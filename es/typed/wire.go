package typed

import (
	"encoding/binary"
	"math"
)

// msgpack format codes the compiled codec writes or reads.
const (
	mpNil     = 0xc0
	mpFalse   = 0xc2
	mpTrue    = 0xc3
	mpBin8    = 0xc4
	mpBin16   = 0xc5
	mpBin32   = 0xc6
	mpFloat   = 0xca
	mpDouble  = 0xcb
	mpUint8   = 0xcc
	mpUint16  = 0xcd
	mpUint32  = 0xce
	mpUint64  = 0xcf
	mpInt8    = 0xd0
	mpInt16   = 0xd1
	mpInt32   = 0xd2
	mpInt64   = 0xd3
	mpStr8    = 0xd9
	mpStr16   = 0xda
	mpStr32   = 0xdb
	mpArray16 = 0xdc
	mpArray32 = 0xdd
	mpMap16   = 0xde
	mpMap32   = 0xdf
)

func append1(b []byte, code, v byte) []byte { return append(b, code, v) }

func append2(b []byte, code byte, v uint16) []byte {
	return binary.BigEndian.AppendUint16(append(b, code), v)
}

func append4(b []byte, code byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, code), v)
}

func append8(b []byte, code byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, code), v)
}

// appendUint is msgpack's EncodeUint: the shortest form.
func appendUint(b []byte, n uint64) []byte {
	switch {
	case n <= math.MaxInt8:
		return append(b, byte(n))
	case n <= math.MaxUint8:
		return append1(b, mpUint8, byte(n))
	case n <= math.MaxUint16:
		return append2(b, mpUint16, uint16(n))
	case n <= math.MaxUint32:
		return append4(b, mpUint32, uint32(n))
	}
	return append8(b, mpUint64, n)
}

// appendInt is msgpack's EncodeInt: the shortest form.
func appendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0:
		return appendUint(b, uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append1(b, mpInt8, byte(n))
	case n >= math.MinInt16:
		return append2(b, mpInt16, uint16(n))
	case n >= math.MinInt32:
		return append4(b, mpInt32, uint32(n))
	}
	return append8(b, mpInt64, uint64(n))
}

// appendStrLen is msgpack's string header.
func appendStrLen(b []byte, l int) []byte {
	switch {
	case l < 32:
		return append(b, 0xa0|byte(l))
	case l < 256:
		return append1(b, mpStr8, byte(l))
	case l <= math.MaxUint16:
		return append2(b, mpStr16, uint16(l))
	}
	return append4(b, mpStr32, uint32(l))
}

func appendString(b []byte, s string) []byte {
	return append(appendStrLen(b, len(s)), s...)
}

// appendBinLen is msgpack's bin header (bin8 even for short lengths).
func appendBinLen(b []byte, l int) []byte {
	switch {
	case l < 256:
		return append1(b, mpBin8, byte(l))
	case l <= math.MaxUint16:
		return append2(b, mpBin16, uint16(l))
	}
	return append4(b, mpBin32, uint32(l))
}

// appendArrayLen is msgpack's array header.
func appendArrayLen(b []byte, l int) []byte {
	switch {
	case l < 16:
		return append(b, 0x90|byte(l))
	case l <= math.MaxUint16:
		return append2(b, mpArray16, uint16(l))
	}
	return append4(b, mpArray32, uint32(l))
}

// appendMapLen is msgpack's map header.
func appendMapLen(b []byte, l int) []byte {
	switch {
	case l < 16:
		return append(b, 0x80|byte(l))
	case l <= math.MaxUint16:
		return append2(b, mpMap16, uint16(l))
	}
	return append4(b, mpMap32, uint32(l))
}
