package typed

import (
	"encoding/binary"

	"github.com/batpak-go/batpak/messages"
)

// FormatMsgpack is the envelope's format byte for a msgpack body, the only
// format this package writes or reads.
const FormatMsgpack byte = 0x01

// headerLen is the envelope's size: format byte and uint16 schema version.
const headerLen = 3

// putHeader writes the envelope for a body of schema version v.
func putHeader(dst []byte, v uint16) []byte {
	return binary.BigEndian.AppendUint16(append(dst, FormatMsgpack), v)
}

// Envelope returns a payload's schema version and its msgpack body, or a
// *PayloadError (ErrPayload) when the payload is not a typed envelope
// (shorter than 3 bytes, an unknown format byte, version 0). kind is only
// used to name the event in the error.
func Envelope(kind messages.EventKind, payload []byte) (version uint16, body []byte, err error) {
	if len(payload) < headerLen {
		return 0, nil, &PayloadError{Kind: kind, Reason: "shorter than the 3-byte typed envelope"}
	}
	if payload[0] != FormatMsgpack {
		return 0, nil, &PayloadError{Kind: kind, Reason: "unknown format byte " + hexByte(payload[0])}
	}
	v := binary.BigEndian.Uint16(payload[1:headerLen])
	if v == 0 {
		return 0, nil, &PayloadError{Kind: kind, Reason: "schema version 0"}
	}
	return v, payload[headerLen:], nil
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return "0x" + string([]byte{digits[b>>4], digits[b&0xF]})
}
