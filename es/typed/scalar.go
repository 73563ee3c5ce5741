package typed

import (
	"math"
	"reflect"
	"unsafe"
)

// scalar fills tc for a bool, number or string kind. msgpack v5 (without
// UseCompactInts) writes int and uint in their shortest form and every
// other integer width in its fixed-size form; it reads any integer code
// into any integer kind, truncating as reflect's SetInt and SetUint do.
// (Their decoders are reader.value's.)
func scalar(tc *typeCodec, k reflect.Kind) {
	tc.op = scalarOps[k]
	switch k {
	case reflect.Bool:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			if *(*bool)(p) {
				return append(b, mpTrue)
			}
			return append(b, mpFalse)
		}
		tc.empty = func(p unsafe.Pointer) bool { return !*(*bool)(p) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		signed(tc, k)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		unsigned(tc, k)
	case reflect.Float32:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			return append4(b, mpFloat, math.Float32bits(viaFloat64(*(*float32)(p))))
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*float32)(p) == 0 }
	case reflect.Float64:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			return append8(b, mpDouble, math.Float64bits(*(*float64)(p)))
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*float64)(p) == 0 }
	case reflect.String:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return appendString(b, *(*string)(p)) }
		tc.empty = func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	}
}

// viaFloat64 is what msgpack v5 makes of a float32 below the top of a
// value: it reads and writes it through reflect's Float and SetFloat, a
// float64, which turns a signaling NaN quiet (the one change the round
// trip makes). A float32 at the top keeps its bits (msgpack's own path):
// codecFor leaves the type float32 itself to msgpack.
func viaFloat64(f float32) float32 { return float32(float64(f)) }

func signed(tc *typeCodec, k reflect.Kind) {
	switch k {
	case reflect.Int:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return appendInt(b, int64(*(*int)(p))) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*int)(p) == 0 }
	case reflect.Int8:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append1(b, mpInt8, byte(*(*int8)(p))) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*int8)(p) == 0 }
	case reflect.Int16:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append2(b, mpInt16, uint16(*(*int16)(p))) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*int16)(p) == 0 }
	case reflect.Int32:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append4(b, mpInt32, uint32(*(*int32)(p))) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*int32)(p) == 0 }
	case reflect.Int64:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append8(b, mpInt64, uint64(*(*int64)(p))) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*int64)(p) == 0 }
	}
}

func unsigned(tc *typeCodec, k reflect.Kind) {
	switch k {
	case reflect.Uint:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return appendUint(b, uint64(*(*uint)(p))) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint)(p) == 0 }
	case reflect.Uint8:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append1(b, mpUint8, *(*uint8)(p)) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint8)(p) == 0 }
	case reflect.Uint16:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append2(b, mpUint16, *(*uint16)(p)) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint16)(p) == 0 }
	case reflect.Uint32:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append4(b, mpUint32, *(*uint32)(p)) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint32)(p) == 0 }
	case reflect.Uint64:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append8(b, mpUint64, *(*uint64)(p)) }
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint64)(p) == 0 }
	}
}

// scalarOps are the decode ops of the scalar kinds.
var scalarOps = map[reflect.Kind]decOp{
	reflect.Bool: opBool, reflect.Int: opInt, reflect.Int8: opInt8, reflect.Int16: opInt16,
	reflect.Int32: opInt32, reflect.Int64: opInt64, reflect.Uint: opUint, reflect.Uint8: opUint8,
	reflect.Uint16: opUint16, reflect.Uint32: opUint32, reflect.Uint64: opUint64,
	reflect.Float32: opFloat32, reflect.Float64: opFloat64, reflect.String: opString,
}
