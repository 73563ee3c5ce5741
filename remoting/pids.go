package remoting

import "github.com/asynkron/protoactor-go/actor"

// defaultStore is actors.Config's default Name.
const defaultStore = "batpak"

// WriterPID returns the PID of the writer of the store called store in
// the actor system at address (a peer's sys.Address(), "host:port"): the
// actor that takes *messages.Append and *messages.AppendBatch. store is the
// store's actors.Config.Name ("" means the default, "batpak") for a store
// spawned at the root with actors.Spawn; for one spawned under an actor
// with actors.SpawnIn, it is the supervisor's full id,
// Store.Supervisor().Id (the parent's id, "/", the Name). The PID stays
// the same across writer restarts and across restarts of the node, as
// long as the address and the name do.
func WriterPID(address, store string) *actor.PID {
	return actor.NewPID(address, storeName(store)+"/writer")
}

// ReaderPID returns the PID of the reader of the store called store in
// the actor system at address (see WriterPID for store): the actor that
// answers *messages.ReadStream and *messages.ReadQuery with a
// *messages.ReadReply.
func ReaderPID(address, store string) *actor.PID {
	return actor.NewPID(address, storeName(store)+"/reader")
}

func storeName(s string) string {
	if s == "" {
		return defaultStore
	}
	return s
}

// FanoutPID returns the PID of the fanout of the store called store in the
// actor system at address (see WriterPID for store): the actor a remote
// subscriber subscribes with, through actors.SubscribeRemote.
func FanoutPID(address, store string) *actor.PID {
	return actor.NewPID(address, storeName(store)+"/fanout")
}
