package messages

// AppendReply answers an Append: either a receipt or a failure.
type AppendReply struct {
	Receipt Receipt `msgpack:"receipt"`
	Failure *Error  `msgpack:"err,omitempty"`
}

// Err returns the failure as a plain error, nil on success.
func (r *AppendReply) Err() error {
	if r == nil || r.Failure == nil {
		return nil
	}
	return r.Failure
}

// AppendBatchReply answers an AppendBatch: the receipts of every item, in
// order, or a failure (and then nothing of the batch was written).
type AppendBatchReply struct {
	Receipts Receipts `msgpack:"receipts"`
	Failure  *Error   `msgpack:"err,omitempty"`
}

// Err returns the failure as a plain error, nil on success.
func (r *AppendBatchReply) Err() error {
	if r == nil || r.Failure == nil {
		return nil
	}
	return r.Failure
}

// ErrorReply answers a message the receiver could not handle at all (for
// example CodeUnknownMessage), or a Sync or Close.
type ErrorReply struct {
	Failure *Error `msgpack:"err"`
}

// Err returns the failure as a plain error, nil on success.
func (r *ErrorReply) Err() error {
	if r == nil || r.Failure == nil {
		return nil
	}
	return r.Failure
}
