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
// The decoders always write the whole value, so decoding a scalar over a
// decoded one is what msgpack does too (see fieldPlan.rewritable).
func scalar(tc *typeCodec, k reflect.Kind) {
	switch k {
	case reflect.Bool:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			if *(*bool)(p) {
				return append(b, mpTrue)
			}
			return append(b, mpFalse)
		}
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.bool()
			*(*bool)(p) = v
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return !*(*bool)(p) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		signed(tc, k)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		unsigned(tc, k)
	case reflect.Float32:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			return append4(b, mpFloat, math.Float32bits(*(*float32)(p)))
		}
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.float32()
			*(*float32)(p) = v
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*float32)(p) == 0 }
	case reflect.Float64:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			return append8(b, mpDouble, math.Float64bits(*(*float64)(p)))
		}
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.float64()
			*(*float64)(p) = v
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*float64)(p) == 0 }
	case reflect.String:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return appendString(b, *(*string)(p)) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			s, _, ok := r.bytes()
			*(*string)(p) = string(s)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	}
}

func signed(tc *typeCodec, k reflect.Kind) {
	switch k {
	case reflect.Int:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return appendInt(b, int64(*(*int)(p))) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*int)(p) = int(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*int)(p) == 0 }
	case reflect.Int8:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append1(b, mpInt8, byte(*(*int8)(p))) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*int8)(p) = int8(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*int8)(p) == 0 }
	case reflect.Int16:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append2(b, mpInt16, uint16(*(*int16)(p))) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*int16)(p) = int16(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*int16)(p) == 0 }
	case reflect.Int32:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append4(b, mpInt32, uint32(*(*int32)(p))) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*int32)(p) = int32(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*int32)(p) == 0 }
	case reflect.Int64:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append8(b, mpInt64, uint64(*(*int64)(p))) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*int64)(p) = v
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*int64)(p) == 0 }
	}
}

func unsigned(tc *typeCodec, k reflect.Kind) {
	switch k {
	case reflect.Uint:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return appendUint(b, uint64(*(*uint)(p))) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*uint)(p) = uint(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint)(p) == 0 }
	case reflect.Uint8:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append1(b, mpUint8, *(*uint8)(p)) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*uint8)(p) = uint8(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint8)(p) == 0 }
	case reflect.Uint16:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append2(b, mpUint16, *(*uint16)(p)) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*uint16)(p) = uint16(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint16)(p) == 0 }
	case reflect.Uint32:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append4(b, mpUint32, *(*uint32)(p)) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*uint32)(p) = uint32(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint32)(p) == 0 }
	case reflect.Uint64:
		tc.enc = func(b []byte, p unsafe.Pointer) []byte { return append8(b, mpUint64, *(*uint64)(p)) }
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			v, ok := r.int()
			*(*uint64)(p) = uint64(v)
			return ok
		}
		tc.empty = func(p unsafe.Pointer) bool { return *(*uint64)(p) == 0 }
	}
}
