package messages

// AppendReply answers an Append: either a receipt or an error.
type AppendReply struct {
	Receipt Receipt `msgpack:"receipt"`
	Err     *Error  `msgpack:"err,omitempty"`
}

// AppendBatchReply answers an AppendBatch: the receipts of every item, in
// order, or an error (and then nothing of the batch was written).
type AppendBatchReply struct {
	Receipts Receipts `msgpack:"receipts"`
	Err      *Error   `msgpack:"err,omitempty"`
}

// ErrorReply answers a message the receiver could not handle at all (for
// example CodeUnknownMessage).
type ErrorReply struct {
	Err *Error `msgpack:"err"`
}
