// Package remoting puts a protoactor actor system on the network, so that
// actors and Go code on other nodes can append to and read from its batpak
// stores, securely by default.
//
// # Starting a node
//
//	sys := actor.NewActorSystem()
//	r, err := remoting.Start(sys, remoting.Config{}) // 127.0.0.1, any free port
//	defer r.Shutdown(false)
//	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
//	fmt.Println(sys.Address()) // "127.0.0.1:41234": what peers need to know
//
// Start returns an error where protoactor's own Start panics (a port in
// use: ErrListen), and checks the Config first. Config.RemoteConfig builds
// the same *remote.Config without starting anything, for
// cluster.Configure.
//
// # Reaching a store from another node
//
// Every message of package messages crosses protoactor remote as it is
// (see messages.Wire): requests, receipts, typed errors with their detail
// (errors.Is and errors.As work on the receiving side), and trace context.
// An actor on node B sends the store's requests to the store's PIDs on
// node A, which WriterPID and ReaderPID name from node A's address and the
// store's name:
//
//	w := remoting.WriterPID(addrA, "") // the default store name, "batpak"
//	ctx.Request(w, &messages.Append{...}) // answered with *messages.AppendReply
//
// Replies, crash semantics (messages.ErrWriterCrashed for the requests of
// a group the writer crashed in), overload answers and the
// messages.ErrUnknownMessage answer to a message the store does not know
// are the same as for a local sender. Go code that is not an actor uses a
// Client, which sends the same messages through futures.
//
// A reply travels on a connection that node A opens to node B's address,
// so node B must be started (Start) and reachable from node A at its
// sys.Address() (set Config.AdvertisedHost behind NAT or in a container).
// protoactor connects to a peer on the first message for it, and tries
// remote.Config.MaxRetryCount times (5 by default), pausing 2 s after each
// failed attempt; then it gives up, the messages sent meanwhile are
// answered as dead letters (ErrUnreachable through a Client), and the next
// message tries anew. A request to a node that is down therefore fails
// after about 10 s by default, or with its own timeout if that is shorter.
//
// # Security
//
// Remote actors can append to and read every store of an actor system, so
// the defaults keep the network out:
//
//   - The zero Config listens on 127.0.0.1 only, in plaintext: nodes on
//     the same machine only.
//   - Any other Host (an interface address, 0.0.0.0, a name) needs TLS:
//     RemoteConfig and Start refuse it with ErrInsecure, unless
//     Config.Insecure says plaintext on the network is intended.
//   - TLS (Config.TLS, or LoadTLS from PEM files) is mutual by default:
//     every node presents its certificate both when it listens and when it
//     dials, verifies its peers' certificates against TLS.RootCAs only (never
//     the system's roots), and refuses a connection from a peer without a
//     certificate those CAs signed, before any message is read. Any
//     certificate those CAs signed is a peer: use a CA of your own. Node
//     certificates need the serverAuth and clientAuth key usages, and subject
//     alternative names covering the address peers dial (or a shared name in
//     TLS.ServerName). TLS.NoClientCert makes TLS one-way: encrypted, but
//     anyone who reaches the port can send.
//   - All nodes of a system use TLS, or none: a plaintext node and a TLS
//     node cannot talk.
//
// TLS decides who is a peer, not what a peer may do: a peer is trusted as
// code in the same process is. It can send any message to any actor of
// the system by its PID, protoactor's own included (a PoisonPill or Stop
// to a store's writer closes that store, as a stop of its parent does).
// There is no per-message authorisation.
//
// # Notes on protoactor (the version this module pins)
//
// protoactor's remote.Start sets gRPC's process-wide logger each time it
// runs, without synchronisation: a second node started in a process whose
// first node is already running is a data race for the race detector
// (harmless in itself: the value written is always a discarding logger).
// Production runs one node per process. The tests of this package run each
// extra node in a child process. cluster.StartMember starts a remote too.
package remoting
