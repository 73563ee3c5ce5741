package main

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// remotePair is two protoactor actor systems in one process, each with
// remote started on a free loopback port: node A holds a batpak store
// (actors.Spawn, default configuration: durable commits) and an echo
// actor; node B sends to both over remote.
type remotePair struct {
	sysA, sysB *actor.ActorSystem
	remA, remB *remote.Remote
	store      *actors.Store
	// echo is A's echo actor as B addresses it (A's address, its id).
	echo *actor.PID
	// writer is the store's writer as B addresses it.
	writer *actor.PID
}

// remoteTimeout bounds one request of the benchmark; a reply later than
// this fails the run.
const remoteTimeout = 10 * time.Second

// echoActor answers an *actor.PID (a small generated protobuf message)
// with the same message: a bare protoactor remote request/response.
type echoActor struct{}

func (echoActor) Receive(ctx actor.Context) {
	if p, ok := ctx.Message().(*actor.PID); ok {
		ctx.Respond(p)
	}
}

// newRemotePair starts both nodes and the store cfg describes (its
// defaults but for what cfg sets). Close stops them.
func newRemotePair(cfg actors.Config) (*remotePair, error) {
	p := &remotePair{sysA: quietSystem(), sysB: quietSystem()}
	p.remA = remote.NewRemote(p.sysA, remote.Configure("127.0.0.1", 0))
	p.remA.Start()
	p.remB = remote.NewRemote(p.sysB, remote.Configure("127.0.0.1", 0))
	p.remB.Start()
	st, err := actors.Spawn(p.sysA, cfg)
	if err != nil {
		p.shutdown()
		return nil, err
	}
	p.store = st
	echo, err := p.sysA.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return echoActor{} }), "bench-echo")
	if err != nil {
		p.Close()
		return nil, err
	}
	p.echo = actor.NewPID(p.sysA.Address(), echo.Id)
	p.writer = actor.NewPID(p.sysA.Address(), st.Writer().Id)
	return p, nil
}

// Close closes the store and stops both nodes.
func (p *remotePair) Close() error {
	err := p.store.Close(context.Background())
	p.shutdown()
	return err
}

func (p *remotePair) shutdown() {
	p.remB.Shutdown(true)
	p.remA.Shutdown(true)
	p.sysB.Shutdown()
	p.sysA.Shutdown()
}

// bareOp is one request/response from B to A's echo actor.
func (p *remotePair) bareOp(_, _ int) error {
	msg := &actor.PID{Address: "bench", Id: "echo"}
	res, err := p.sysB.Root.RequestFuture(p.echo, msg, remoteTimeout).Result()
	if err != nil {
		return err
	}
	if r, ok := res.(*actor.PID); !ok || r.Id != msg.Id {
		return fmt.Errorf("echo answered %T %v", res, res)
	}
	return nil
}

// localOp is one durable append to the store's writer from A's own root
// context (the same RequestFuture as the remote one, to a local PID).
func (p *remotePair) localOp(sender, i int) error {
	return appendVia(p.sysA.Root, p.store.Writer(), sender, i)
}

// remoteOp is one durable append from B to the writer's remote PID.
func (p *remotePair) remoteOp(sender, i int) error {
	return appendVia(p.sysB.Root, p.writer, sender, i)
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
