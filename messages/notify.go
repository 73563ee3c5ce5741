package messages

// Notification delivers committed events to a subscriber: the events of one
// commit group that match its filter, in global order. The events are
// durable (in the default sync mode) and visible to readers.
type Notification struct {
	// Events are the matching events of one commit group, in ascending
	// global sequence; never empty. They may share memory with other
	// subscribers' notifications: read them, do not modify them.
	Events Events `msgpack:"events"`
}

// Gap tells a subscriber that its queue overflowed: events from sequence
// FirstMissed on may be missing from its notifications. It should read the
// log from there (actors.Cursor does), then go on with live notifications,
// skipping what it has already seen.
type Gap struct {
	// FirstMissed is the global sequence (sequences start at 0) of the
	// first event that may be missing: read the log from it (inclusive).
	FirstMissed uint64 `msgpack:"first_missed"`
}

// SubscriptionEnded tells a subscriber that no more notifications will come,
// and why (for example the writer stopped for good, or the store closed).
type SubscriptionEnded struct {
	// Err says why: CodeClosed (errors.Is(err, ErrClosed)) when the store
	// was closed or stopped from outside (its parent actor stopped),
	// CodeWriterStopped when the writer stopped for good (its restart
	// budget spent, or its storage could not be reopened).
	Err *Error `msgpack:"err,omitempty"`
}

// Subscribed is the first message a new subscriber gets: its subscription
// covers the committed events of sequence From on. Notifications follow it.
type Subscribed struct {
	// From is the global sequence (sequences start at 0) of the first
	// event the subscription covers: the store's next sequence when it
	// subscribed, so 0 on an empty store. Events before it are read from
	// the log, not notified.
	From uint64 `msgpack:"from"`
}
