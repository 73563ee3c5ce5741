package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

// The remote benchmarks' two nodes, each a protoactor actor system with
// remote started on a free loopback port: node A (storeNode) holds a
// batpak store and an echo actor; node B (senderNode) sends to both over
// remote. remotePair holds both in one process.

// remoteTimeout bounds one request of the benchmark; a reply later than
// this fails the run.
const remoteTimeout = 10 * time.Second

// storeNode is node A: a store spawned with actors.Spawn and an echo actor.
type storeNode struct {
	sys   *actor.ActorSystem
	rem   *remote.Remote
	store *actors.Store
	// echo is the echo actor as another node addresses it (A's address).
	echo *actor.PID
	// writer is the store's writer as another node addresses it.
	writer *actor.PID
	// files are closed by Close (spawnSyncEcho's).
	files []*os.File
}

// echoActor answers an *actor.PID (a small generated protobuf message)
// with the same message: a bare protoactor remote request/response.
type echoActor struct{}

func (echoActor) Receive(ctx actor.Context) {
	if p, ok := ctx.Message().(*actor.PID); ok {
		ctx.Respond(p)
	}
}

// syncEchoActor answers an *actor.PID like echoActor, after it has
// written 256 bytes to its file and fsynced it (the store's own sync:
// fdatasync on Linux): an fsync and a remote round trip without batpak.
type syncEchoActor struct{ f *os.File }

func (e syncEchoActor) Receive(ctx actor.Context) {
	if p, ok := ctx.Message().(*actor.PID); ok {
		if _, err := e.f.Write(payload); err != nil {
			return // no answer: the sender's request fails
		}
		if err := fs.SyncFile(e.f); err != nil {
			return
		}
		ctx.Respond(p)
	}
}

// spawnSyncEcho spawns a syncEchoActor on node A writing to a new file in
// dir, and returns its PID as another node addresses it. Node A's Close
// closes the file.
func (n *storeNode) spawnSyncEcho(dir string) (*actor.PID, error) {
	f, err := os.OpenFile(filepath.Join(dir, "sync-echo.log"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	pid, err := n.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return syncEchoActor{f: f} }), "bench-sync-echo")
	if err != nil {
		f.Close()
		return nil, err
	}
	n.files = append(n.files, f)
	return actor.NewPID(n.sys.Address(), pid.Id), nil
}

// startStoreNode starts node A with the store cfg describes (its defaults
// but for what cfg sets).
func startStoreNode(cfg actors.Config) (*storeNode, error) {
	n := &storeNode{sys: quietSystem()}
	n.rem = remote.NewRemote(n.sys, remote.Configure("127.0.0.1", 0))
	n.rem.Start()
	st, err := actors.Spawn(n.sys, cfg)
	if err != nil {
		n.rem.Shutdown(false)
		n.sys.Shutdown()
		return nil, err
	}
	n.store = st
	echo, err := n.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return echoActor{} }), "bench-echo")
	if err != nil {
		n.Close()
		return nil, err
	}
	n.echo = actor.NewPID(n.sys.Address(), echo.Id)
	n.writer = actor.NewPID(n.sys.Address(), st.Writer().Id)
	return n, nil
}

// Close closes the store and stops the node. Its remote stops at once
// (Shutdown(false)): a graceful Shutdown stops protoactor's endpoint
// manager, and does so in a data race with the manager dropping the
// endpoint of a peer that went away (endpointManager.stop against
// removeEndpoint, inside protoactor).
func (n *storeNode) Close() error {
	err := n.store.Close(context.Background())
	n.rem.Shutdown(false)
	n.sys.Shutdown()
	for _, f := range n.files {
		err = errors.Join(err, f.Close())
	}
	return err
}

// localOp is one durable append to the store's writer from the node's own
// root context (the same RequestFuture as the remote one, to a local PID).
func (n *storeNode) localOp(sender, i int) error {
	return appendVia(n.sys.Root, n.store.Writer(), sender, i)
}

// senderNode is node B: it sends to node A's echo actor and writer.
type senderNode struct {
	sys          *actor.ActorSystem
	rem          *remote.Remote
	echo, writer *actor.PID // on node A
}

// startSenderNode starts node B, sending to echo and writer on node A.
func startSenderNode(echo, writer *actor.PID) *senderNode {
	n := &senderNode{sys: quietSystem(), echo: echo, writer: writer}
	n.rem = remote.NewRemote(n.sys, remote.Configure("127.0.0.1", 0))
	n.rem.Start()
	return n
}

// Close stops the node (its remote at once, as storeNode.Close).
func (n *senderNode) Close() {
	n.rem.Shutdown(false)
	n.sys.Shutdown()
}

// bareOp is one request/response to node A's echo actor.
func (n *senderNode) bareOp(_, _ int) error { return echoVia(n.sys.Root, n.echo) }

// echoVia is one request/response to an echo actor.
func echoVia(root *actor.RootContext, echo *actor.PID) error {
	msg := &actor.PID{Address: "bench", Id: "echo"}
	res, err := root.RequestFuture(echo, msg, remoteTimeout).Result()
	if err != nil {
		return err
	}
	if r, ok := res.(*actor.PID); !ok || r.Id != msg.Id {
		return fmt.Errorf("echo answered %T %v", res, res)
	}
	return nil
}

// remoteOp is one durable append to the writer's remote PID.
func (n *senderNode) remoteOp(sender, i int) error {
	return appendVia(n.sys.Root, n.writer, sender, i)
}

// appendVia appends one 256-byte event, round robin over the bench's
// entities, by a request to writer, and checks the receipt.
func appendVia(root *actor.RootContext, writer *actor.PID, sender, i int) error {
	a := &messages.Append{Coordinate: coords[(sender*7+i)%entities], Kind: kind, Payload: payload}
	res, err := root.RequestFuture(writer, a, remoteTimeout).Result()
	if err != nil {
		return err
	}
	r, ok := res.(*messages.AppendReply)
	if !ok {
		return fmt.Errorf("writer answered %T", res)
	}
	if err := r.Err(); err != nil {
		return err
	}
	if r.Receipt.Version == 0 {
		return fmt.Errorf("receipt without a version: %+v", r.Receipt)
	}
	return nil
}

// remotePair is both nodes in one process.
type remotePair struct {
	a *storeNode
	b *senderNode
}

// newRemotePair starts node A with the store cfg describes, then node B.
func newRemotePair(cfg actors.Config) (*remotePair, error) {
	a, err := startStoreNode(cfg)
	if err != nil {
		return nil, err
	}
	return &remotePair{a: a, b: startSenderNode(a.echo, a.writer)}, nil
}

// Close stops node B, then closes node A.
func (p *remotePair) Close() error {
	p.b.Close()
	return p.a.Close()
}
