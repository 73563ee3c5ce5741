// Package protopersist is protoactor-go's persistence provider on a batpak
// store: an event-sourced actor written for protoactor's persistence
// package (it embeds persistence.Mixin and is spawned with the receiver
// middleware persistence.Using(provider)) switches to batpak by changing
// its provider to a *Provider. Nothing else in the actor changes.
//
// # Mapping
//
//   - An actor's stream is the coordinate (Options.EntityPrefix + the
//     actor's name, Options.Scope): the name is protoactor's PID Id, what
//     persistence.Mixin.Name returns ("demo.actor", "parent/child"). An
//     actor that is respawned under the same name finds its events again;
//     the stream must be the actor's alone.
//   - protoactor's event index i is the stream's version i+1. Each event
//     is appended with the condition "the stream is at version i"
//     (messages.Exactly), so the log holds exactly the events the actor
//     applied, without gaps or duplicates, even if two incarnations race.
//   - An event's payload is a google.protobuf.Any: the message's full
//     type name (type URL) and its proto bytes. Its kind is Options.Kind
//     (one kind for all: the type name tells them apart). Replay decodes
//     it with Options.Resolver (protoregistry.GlobalTypes by default).
//   - A snapshot taken at index i is the actor's state after versions
//     1..i, kept in an es/snapshot Store with the hash of event i, encoded
//     as an Any too. Recovery uses it only if the log's event i still has
//     that hash.
//
// # Failures
//
// protoactor's provider interface returns no errors. PersistEvent and
// GetEvents therefore panic with a *PersistError when they cannot do their
// work (the append or the read failed): inside the actor, before it
// applies the event. protoactor's supervision restarts the actor, and the
// new instance recovers from the store, so the actor's state never runs
// ahead of the log. The message being handled is dropped (no reply), and
// the supervisor's restart budget bounds the retries of a recovery that
// keeps failing. Snapshot failures never stop an actor: a snapshot that
// cannot be saved, or is corrupt, stale or undecodable at recovery, is
// logged and ignored, and the events rebuild the state.
//
// # Deleting
//
// The log is append-only. DeleteEvents removes and hides nothing (as
// protoactor's in-memory provider): skipping events would give a wrong
// state whenever the snapshot that covers them is missing.
// DeleteSnapshots removes the snapshot files up to an index; recovery
// then uses a newer snapshot or replays every event.
package protopersist
