package messages

// Notification delivers committed events to a subscriber: the events of one
// commit group that match its filter, in global order. The events are
// durable (in the default sync mode) and visible to readers.
type Notification struct {
	Events Events `msgpack:"events"`
}

// Gap tells a subscriber that its queue overflowed: events from sequence
// FirstMissed on may be missing from its notifications. It should read the
// log from there (actors.Cursor does), then go on with live notifications,
// skipping what it has already seen.
type Gap struct {
	FirstMissed uint64 `msgpack:"first_missed"`
}

// SubscriptionEnded tells a subscriber that no more notifications will come,
// and why (for example the writer stopped for good, or the store closed).
type SubscriptionEnded struct {
	Err *Error `msgpack:"err,omitempty"`
}

// Subscribed is the first message a new subscriber gets: its subscription
// covers the committed events of sequence From on. Notifications follow it.
type Subscribed struct {
	From uint64 `msgpack:"from"`
}
