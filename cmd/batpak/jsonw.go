package main

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"
)

// jbuf builds JSON by appending to a byte slice: dump --json writes a
// million lines a second or so, which encoding/json's reflection and
// allocations do not allow.
type jbuf struct{ b []byte }

// raw appends s as it is (JSON punctuation or a literal).
func (j *jbuf) raw(s string) { j.b = append(j.b, s...) }

const hexDigits = "0123456789abcdef"

// str appends s as a JSON string (see appendJSONStr).
func (j *jbuf) str(s []byte) { j.b = appendJSONStr(j.b, s) }

// strs appends s as a JSON string.
func (j *jbuf) strs(s string) { j.b = appendJSONStr(j.b, s) }

// appendJSONStr appends s as a JSON string, as encoding/json writes it
// (U+2028 and U+2029 escaped) except that <, > and & stay as they are;
// invalid UTF-8 becomes U+FFFD, as encoding/json does. Runs of bytes that
// need no escape are copied whole.
func appendJSONStr[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		k := i
		for k < len(s) && s[k] >= 0x20 && s[k] < utf8.RuneSelf && s[k] != '"' && s[k] != '\\' {
			k++
		}
		b = append(b, s[i:k]...)
		if i = k; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, n := decodeRune(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// decodeRune is utf8.DecodeRune for a string or a byte slice.
func decodeRune[T string | []byte](s T) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// b64 appends p in base64 as a JSON string.
func (j *jbuf) b64(p []byte) {
	j.b = append(j.b, '"')
	j.b = base64.StdEncoding.AppendEncode(j.b, p)
	j.b = append(j.b, '"')
}

// bin appends binary data as {"$bin": base64}.
func (j *jbuf) bin(p []byte) {
	j.raw(`{"$bin":`)
	j.b64(p)
	j.raw("}")
}

// ext appends an extension value as {"$ext": type, "$data": base64}.
func (j *jbuf) ext(typ int, p []byte) {
	j.raw(`{"$ext":`)
	j.b = strconv.AppendInt(j.b, int64(typ), 10)
	j.raw(`,"$data":`)
	j.b64(p)
	j.raw("}")
}

// key appends a member's name and colon, after a comma unless first.
func (j *jbuf) key(name string, first bool) {
	if !first {
		j.b = append(j.b, ',')
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, name...)
	j.b = append(j.b, '"', ':')
}

func (j *jbuf) uint(u uint64) { j.b = strconv.AppendUint(j.b, u, 10) }
func (j *jbuf) int(i int64)   { j.b = strconv.AppendInt(j.b, i, 10) }

// hexStr appends p in hex as a JSON string.
func (j *jbuf) hexStr(p []byte) {
	j.b = append(j.b, '"')
	j.b = hex.AppendEncode(j.b, p)
	j.b = append(j.b, '"')
}

// uuid appends a 16-byte id in its canonical UUID form as a JSON string
// (as messages.ID's String).
func (j *jbuf) uuid(id [16]byte) {
	j.b = append(j.b, '"')
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			j.b = append(j.b, '-')
		}
		j.b = append(j.b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	j.b = append(j.b, '"')
}

// kind appends an event kind as a JSON string, as EventKind's String
// ("1:00a").
func (j *jbuf) kind(k uint16) {
	j.b = append(j.b, '"', hexDigits[k>>12], ':', hexDigits[k>>8&0xf], hexDigits[k>>4&0xf], hexDigits[k&0xf], '"')
}

// timeUS appends a time in microseconds since the Unix epoch as a JSON
// string, RFC 3339 in UTC with six decimals.
func (j *jbuf) timeUS(us int64) {
	t := time.UnixMicro(us).UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	b := append(j.b, '"')
	if y < 0 || y > 9999 {
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	} else {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
			byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
			byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+sec/10), byte('0'+sec%10), '.')
		f := t.Nanosecond() / 1000
		for div := 100000; div > 0; div /= 10 {
			b = append(b, byte('0'+f/div%10))
		}
		b = append(b, 'Z')
	}
	j.b = append(b, '"')
}
