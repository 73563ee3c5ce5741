// Package actors runs the storage engine inside a protoactor-go actor
// system: a supervisor actor carrying the restart policy, and under it the
// writer actor, which owns one storage engine and commits appends in groups.
//
// Application actors send *messages.Append or *messages.AppendBatch to the
// writer's PID with ctx.Request and get back a *messages.AppendReply or
// *messages.AppendBatchReply: a receipt (the event is on disk, in the
// default sync mode) or a typed error. Any other message gets a
// *messages.ErrorReply with messages.CodeUnknownMessage. Go code uses the
// Store returned by Spawn, which does the same through futures and serves
// reads directly from the engine, never queueing behind the writer.
// Actors read the same way through the reader actor (Store.Reader): a
// *messages.ReadStream or *messages.ReadQuery is answered with a
// *messages.ReadReply holding one page of events and where the next starts.
//
// Group commit: the writer stages each append in the engine and replies to
// none; the first append of a group makes the writer send itself a flush
// message, so every append already in the mailbox joins the group; on
// flush, one Commit (one fsync), then every caller of the group gets its
// receipt. A group also closes at Config.MaxGroupEvents or MaxGroupBytes.
//
// Crashes: a panic in the writer answers every caller of the group in
// flight with messages.ErrWriterCrashed before it propagates; the policy's
// strategy then restarts the writer, which reopens the engine (recovery) on
// a fresh segment, keeping its PID and the requests still queued; or, once
// the budget is spent, stops it, and every later request is answered
// messages.ErrWriterStopped at once.
//
// Where the store lives: Spawn puts it at the actor system's root;
// SpawnIn(ctx, cfg), from an actor's Receive, makes it that actor's child,
// in the application's supervision tree (the writer stays under the
// store's own Config.Policy). A store stopped with its parent closes as
// Close would. A closing or closed store answers every request with
// messages.ErrClosed; Store.Done and Store.Err tell that it has stopped.
//
// Observability: spans and metrics go to Config.TracerProvider and
// MeterProvider (README.md, "Traces and metrics", lists every span,
// attribute and metric); log lines to Config.Logger (default
// DefaultLogger: warnings and errors); Trace puts the caller's span into a
// request. Tests of an application can crash or hold the writer with the
// actorstest package.
package actors
