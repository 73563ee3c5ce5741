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
//
// # Metrics
//
// Config.MeterProvider receives these instruments, every measurement with
// the attribute batpak.store (Config.Name). Counters and gauges are
// reported from the moment Spawn returns; a subscriber's gauges (attribute
// batpak.subscriber, its PID's id) from the moment Subscribe returns until
// its subscription ends; a closed store's gauges are gone. Histograms
// appear with their first measurement.
//
//   - batpak.appends (counter): events committed.
//   - batpak.commit.group_size (histogram, {event}): events per commit
//     group; buckets GroupSizeBuckets.
//   - batpak.commit.fsync (histogram, s): fsync time per group; buckets
//     FsyncBuckets.
//   - batpak.writer.restarts (counter): writer restarts.
//   - batpak.writer.overloaded (counter): appends refused with
//     messages.ErrOverloaded (batpak.answered=false: no sender, dropped).
//   - batpak.writer.queue.events (gauge, {event}) and
//     batpak.writer.queue.bytes (gauge, By): appends queued for the writer.
//   - batpak.subscriber.gaps (counter): subscriber queue overflows
//     signalled as gaps (for a remote subscriber: its credit ran out).
//   - batpak.subscriber.count (gauge, {subscriber}): subscribers
//     registered with the fanout, local and remote. The per-subscriber
//     gauges below are of local subscribers only (a remote one's queue is
//     on its own node).
//   - batpak.subscriber.queue.events (gauge, {event}, per subscriber):
//     events queued in its bounded mailbox, not yet taken.
//   - batpak.subscriber.lag.events (gauge, {event}, per subscriber): the
//     log's head (Stats().NextSequence) minus the first sequence the
//     subscriber has not handled (one past the last event of the last
//     notification its Receive returned from, or the FirstMissed of a Gap
//     it handled). A subscriber with nothing queued counts as far as the
//     fanout has handed the log out, so events its filter skips are no lag,
//     and a fanout that falls behind shows as lag of every subscriber.
//   - batpak.subscriber.lag.age (gauge, s, per subscriber): how old the
//     oldest event the subscriber has not handled is: now minus the WallMS
//     of the first event of its commit group (1 ms resolution); 0 when
//     caught up. Older than the last 4096 groups handed to subscribers, it
//     is the age of the oldest of them (a lower bound). It measures
//     staleness, so an idle store with caught-up subscribers shows 0, not
//     the time since the last event.
//   - batpak.segment.count (gauge, {segment}) and batpak.segment.usage
//     (gauge, By): the log's segment files and their size on disk
//     (storage.Stats Segments and SegmentBytes).
//   - batpak.engine.open.duration (histogram, s): time the writer took to
//     open the engine, with batpak.open.cause = spawn (Spawn's open) or
//     restart (a restart's reopen); buckets OpenBuckets. Failed opens are
//     not recorded (the writer stops; its span says why).
//   - batpak.engine.open.last_duration (gauge, s): the last of those opens.
//     The histogram keeps every open (a quick second restart is not lost
//     between two collections); the gauge says how long the last open took
//     without arithmetic over a cumulative histogram.
package actors
