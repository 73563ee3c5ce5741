// Package projection folds a store's events into typed state: on demand
// (Fold over a filter, FoldStream over one entity, through the streaming
// reads), or live (Spawn: an actor subscribed to the store that keeps the
// state current, checkpoints it durably with its position, resumes from
// that checkpoint after a restart of the process, and answers Query
// messages with the state and the sequence it reflects, including "wait
// until sequence N" for reading one's own writes).
//
// A live projection applies every matching event exactly once, in global
// order, across subscriber gaps, writer restarts and its own panics (it
// delivers through an actors.Cursor started at its checkpoint with
// actors.Store.NewCursorFrom). It catches up on the log in steps of a few
// milliseconds and answers queries between them, so a projection far
// behind (a million events: about a second) is never deaf. Its
// checkpoint (state + position + the id of
// the last event applied) is written to a temporary file, fsynced, renamed
// and the directory fsynced, with a crc32c; a damaged checkpoint, one of
// another state Type, or one that does not fit the log (past its end, or a
// last event the log does not hold there) is ignored and the state rebuilt
// from the log, and Recovery says why. It never trusts one.
//
// The store's core packages (messages, storage, supervision, actors) never
// import this package.
package projection
