package messages

import (
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// Denial codes the store itself gives (a gate chooses its own codes for
// its own denials).
const (
	// DenialGateDefect: the gate panicked; the panic value is in the
	// denial's message.
	DenialGateDefect = "gate_defect"
	// DenialGateTimeout: the gate returned after its set's Budget; its own
	// verdict is in the denial's message.
	DenialGateTimeout = "gate_timeout"
	// DenialDefault is the code of a denial whose gate left it empty.
	DenialDefault = "denied"
)

// Denial is one policy gate's refusal of a proposed append. Denials are
// answers only: the store never writes them as events.
type Denial struct {
	// Gate is the name of the gate that denied.
	Gate string `msgpack:"gate"`
	// Code classifies the denial for programs: the gate's own code, or
	// DenialGateDefect or DenialGateTimeout.
	Code string `msgpack:"code"`
	// Message explains the denial to people.
	Message string `msgpack:"message"`
}

// String formats the denial as `gate "name" (code): message`.
func (d Denial) String() string {
	return fmt.Sprintf("gate %q (%s): %s", d.Gate, d.Code, d.Message)
}

// Denials is a list of denials; it decodes safely from untrusted bytes.
type Denials []Denial

// DecodeMsgpack implements msgpack.CustomDecoder.
func (l *Denials) DecodeMsgpack(d *msgpack.Decoder) (err error) {
	*l, err = decodeList[Denial](d)
	return err
}

// DenialError reports an append or batch that policy gates denied: nothing
// was written. Denials holds one denial when the gate set fails fast, every
// denial when it collects them all (GateSet.CollectAll), in gate order.
// errors.Is(err, ErrDenied) matches it; it travels in an *Error's Denial
// field, so errors.As finds it in a reply too.
type DenialError struct {
	// Denials are the gates' refusals, at least one, in gate order.
	Denials Denials `msgpack:"denials"`
}

// Error implements error. A nil *DenialError reads "<nil>".
func (e *DenialError) Error() string {
	if e == nil {
		return "<nil>"
	}
	parts := make([]string, len(e.Denials))
	for i, d := range e.Denials {
		parts[i] = d.String()
	}
	return "storage: denied by " + strings.Join(parts, "; ")
}

// Unwrap returns ErrDenied (nil for a nil receiver).
func (e *DenialError) Unwrap() error {
	if e == nil {
		return nil
	}
	return ErrDenied
}

// Gates returns the names of the gates that denied, in order.
func (e *DenialError) Gates() []string {
	if e == nil {
		return nil
	}
	out := make([]string, len(e.Denials))
	for i, d := range e.Denials {
		out[i] = d.Gate
	}
	return out
}

// clone returns a copy of *e with its own list, or nil for nil.
func (e *DenialError) clone() *DenialError {
	if e == nil {
		return nil
	}
	return &DenialError{Denials: append(Denials(nil), e.Denials...)}
}
