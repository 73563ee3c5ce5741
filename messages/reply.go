package messages

// AppendReply answers an Append: either a receipt or a failure. Test it
// with Err, not with the field:
//
//	if err := m.Err(); err != nil { ... errors.Is(err, messages.ErrVersionConflict) ... }
//
// Err returns a plain nil error on success, where the field holds a nil
// *Error (which, stored in an error, is not == nil).
type AppendReply struct {
	// Receipt is the durable receipt; zero when Failure is set.
	Receipt Receipt `msgpack:"receipt"`
	// Failure is why the append was refused; nil on success. Read it
	// through Err.
	Failure *Error `msgpack:"err,omitempty"`
}

// Err returns the failure, or a plain nil error when the append succeeded.
// A nil reply is not a success: Err then returns an ErrInvalidArgument.
func (r *AppendReply) Err() error {
	if r == nil {
		return nilReply()
	}
	return plain(r.Failure)
}

// AppendBatchReply answers an AppendBatch: the receipts of every item, in
// order, or a failure (and then nothing of the batch was written). Test it
// with Err (see AppendReply).
type AppendBatchReply struct {
	// Receipts are the items' receipts, in order; nil when Failure is set.
	Receipts Receipts `msgpack:"receipts"`
	// Failure is why the batch was refused; nil on success. Read it
	// through Err.
	Failure *Error `msgpack:"err,omitempty"`
}

// Err returns the failure, or a plain nil error when the batch succeeded.
// A nil reply is not a success: Err then returns an ErrInvalidArgument.
func (r *AppendBatchReply) Err() error {
	if r == nil {
		return nilReply()
	}
	return plain(r.Failure)
}

// ErrorReply answers a message the receiver could not handle at all (for
// example CodeUnknownMessage). Read it through Err (see AppendReply).
type ErrorReply struct {
	// Failure is what went wrong.
	Failure *Error `msgpack:"err"`
}

// Err returns the failure, or a plain nil error when there is none. A nil
// reply returns an ErrInvalidArgument.
func (r *ErrorReply) Err() error {
	if r == nil {
		return nilReply()
	}
	return plain(r.Failure)
}

// plain returns f as an error that is nil exactly when f is nil.
func plain(f *Error) error {
	if f == nil {
		return nil
	}
	return f
}

// nilReply is the error Err returns for a nil reply.
func nilReply() error {
	return &Error{Code: CodeInvalidArgument, Message: "batpak: nil reply"}
}
