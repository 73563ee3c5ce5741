package messages

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// BatchError reports why an AppendBatch was refused, and which item caused
// it (-1 for the batch as a whole). Its Cause is the specific error
// (ErrInvalidBatch, ErrPartialReplay, a *CoordinateError, ...) as an
// *Error, with its own detail, so that errors.Is and errors.As see through
// it locally and after a trip over the wire. It travels in an *Error's
// Batch field.
type BatchError struct {
	// Item is the index of the offending item, or -1 for the whole batch.
	Item int `msgpack:"item"`
	// Cause is why the batch was refused.
	Cause *Error `msgpack:"cause"`
}

// NewBatchError returns a BatchError for item whose cause is
// ToError(cause).
func NewBatchError(item int, cause error) *BatchError {
	return &BatchError{Item: item, Cause: ToError(cause)}
}

// Error implements error. A nil *BatchError reads "<nil>".
func (e *BatchError) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Item < 0 {
		return fmt.Sprintf("storage: batch refused: %v", e.Cause)
	}
	return fmt.Sprintf("storage: batch refused at item %d: %v", e.Item, e.Cause)
}

// Unwrap returns the cause (nil when there is none).
func (e *BatchError) Unwrap() error {
	if e == nil || e.Cause == nil {
		return nil
	}
	return e.Cause
}

// clone returns a copy of *e with a copy of its cause, or nil for nil.
func (e *BatchError) clone() *BatchError {
	if e == nil {
		return nil
	}
	return &BatchError{Item: e.Item, Cause: e.Cause.clone()}
}

// batchCause is an *Error on the wire without a Batch field: a batch's
// cause is never a batch, and decoding it this way bounds the nesting a
// hostile message can ask the decoder to recurse through.
type batchCause struct {
	Code                ErrorCode                 `msgpack:"code"`
	Message             string                    `msgpack:"message"`
	VersionConflict     *VersionConflictError     `msgpack:"version_conflict,omitempty"`
	Corruption          *CorruptionError          `msgpack:"corruption,omitempty"`
	Coordinate          *CoordinateError          `msgpack:"coordinate,omitempty"`
	IdempotencyConflict *IdempotencyConflictError `msgpack:"idempotency_conflict,omitempty"`
	Denial              *DenialError              `msgpack:"denial,omitempty"`
}

// DecodeMsgpack decodes a BatchError; a Batch field inside its cause is
// dropped.
func (e *BatchError) DecodeMsgpack(dec *msgpack.Decoder) error {
	var w struct {
		Item  int         `msgpack:"item"`
		Cause *batchCause `msgpack:"cause"`
	}
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*e = BatchError{Item: w.Item}
	if c := w.Cause; c != nil {
		e.Cause = &Error{Code: c.Code, Message: c.Message, VersionConflict: c.VersionConflict,
			Corruption: c.Corruption, Coordinate: c.Coordinate, IdempotencyConflict: c.IdempotencyConflict, Denial: c.Denial}
	}
	return nil
}
