// Package messages is the vocabulary every batpak-go package shares: the
// coordinates, kinds and identifiers of events, the requests actors send to
// the writer (Append, AppendBatch), the receipts they get back, the stored
// event as readers see it, the paged reads actors send the reader
// (ReadStream, ReadQuery, answered by ReadReply), and the error codes that
// travel in replies.
//
// It holds plain data only. Every message survives a msgpack round trip (no
// funcs, channels or interfaces in fields), and every message an actor
// sends crosses protoactor remote unchanged: it implements
// remote.RootSerializable, so protoactor sends it as one generated protobuf
// message, Wire, holding its wire name and its msgpack bytes (see wire.go).
// A message the receiver cannot decode arrives as an Undecodable, which the
// store's actors answer with a typed ErrorReply. Behaviour is limited to
// validation and small helpers.
package messages
