// Package command runs commands against event-sourced entities with
// optimistic concurrency: load the entity's state (its latest snapshot plus
// the events after it), run the application's Decide(state, command) ->
// events, append the events atomically on condition that the entity is
// still at the version the state reflects, and on a version conflict load
// the new events and decide again, a bounded number of times.
//
// A command carries an id. The events it appends get the idempotency keys
// messages.KeyOf(commandID, "0"), KeyOf(commandID, "1"), ..., so a command
// retried with the same id (after a lost reply, a timeout, a crash of the
// caller) is replayed: its original receipts come back with
// Result.Replayed set, and nothing is appended twice.
//
// The append: one event is one messages.Append with Expected
// Exactly(version) (NoStream for a new entity); several are one
// messages.AppendBatch whose first item carries that condition and the
// others ExpectAny, so all of them are written or none.
//
// Plain Go: a Handler over an *actors.Store (or anything with its methods,
// see Store). Actors: Props gives a per-entity actor that owns the
// entity's state in memory and handles Request messages one at a time,
// answering each with a *Reply.
//
// Snapshots (optional, through the Snapshots interface): the load path
// starts from the latest snapshot of the entity whose Type is the
// Decider's, but only after checking it against the log: a snapshot whose
// Version is beyond the stream, whose EventHash is not the Hash of the
// stored event at its Version, or whose Data does not decode, is ignored
// (the events rebuild the state from version 1) and reported through
// Options.OnSnapshotError and Handler.SnapshotsIgnored; it is never trusted.
// With Options.SnapshotEvery = N, the handler saves a snapshot after a
// command whose events take the entity across a multiple of N.
package command
