// Package typed binds Go types to event kinds, so that application code
// appends and reads values instead of hand-encoded payloads.
//
// A Registry binds each Go type to one messages.EventKind, once, with a
// human name (for tools and traces) and a schema version:
//
//	r := typed.NewRegistry()
//	err := typed.Register[Deposited](r, kindDeposited, "account.deposited", 2)
//
// Encode turns a registered value into its kind and payload; Append and
// Item build a *messages.Append or messages.BatchItem from it (for
// actors.Store.Append, or for an actor's ctx.Request to store.Writer());
// Decode and DecodeAs turn a stored messages.Event back into its registered
// type. Every refusal is a typed error (see errors.go): a kind bound twice
// (ErrKindTaken), a type bound twice (ErrTypeTaken), a name bound twice
// (ErrNameTaken), a reserved kind (messages.ErrReservedKind), an
// unregistered type or kind (ErrUnregistered), an event of another kind
// than the one asked for (ErrMismatch), a payload that is not a typed
// envelope or fails to decode (ErrPayload), a failing or missing upcaster
// (ErrUpcast).
//
// # Payload bytes
//
// A typed payload is a 3-byte envelope followed by the value in msgpack
// (github.com/vmihailenco/msgpack/v5, struct fields by their msgpack tags,
// else their Go names):
//
//	offset 0     format byte: 0x01 = msgpack (FormatMsgpack); others are refused
//	offset 1..2  schema version, uint16 big-endian, >= 1
//	offset 3..   the msgpack encoding of the value
//
// The kind is not repeated in the payload: it is the event's Kind.
//
// # The codec
//
// Register compiles an encoder and a decoder for the type (once per type,
// cached), which write exactly the bytes msgpack v5 writes and read
// straight from the payload. Maps of two entries or more are written in
// Go's map order, which is random, as msgpack v5 writes them. A body the
// compiled decoder does not expect is decoded again with msgpack v5 (after
// a bounds check), so values and errors are msgpack's; a type it does not
// cover as a whole (interfaces, time.Time, types with their own msgpack,
// binary or text marshalers or an IsZero method, or with an encoder given
// by msgpack.Register or RegisterExtEncoder before the registration,
// array-encoded or interned structs, structs that embed themselves, maps
// with keys other than strings, bools and integers, the type float32
// itself) is left to msgpack v5 entirely. See compile.go.
//
// # Schema evolution
//
// When a type's shape changes, register it with the next schema version and
// register an upcaster for each older version: a function from version N's
// generic form to version N+1's (Fields, a map[string]any decoded loosely:
// integers as int64 or uint64, floats as float64, strings, []any, nested
// Fields). Decoding an event stored at version N < current runs the
// upcasters N, N+1, ... current-1 in order, then decodes the result into the
// current type. A missing upcaster, an upcaster that returns an error or
// panics, and an event stored at a version newer than the registry knows are
// each an *UpcastError (ErrUpcast) naming the kind and the version, never a
// panic. Stored bytes never change: upcasting happens on every read.
package typed
