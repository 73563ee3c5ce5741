package remoting_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
)

// Two nodes on loopback: node A runs a store, node B appends to it with a
// Client and, as an actor would, by the writer's PID. (Not run as a test:
// a process should start one node; this package's tests run the same steps
// with node B in a child process.)
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Node A: on the network (127.0.0.1, any free port), with a store.
	sysA := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	ra, err := remoting.Start(sysA, remoting.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ra.Shutdown(false)
	dir, _ := os.MkdirTemp("", "batpak-example")
	defer os.RemoveAll(dir)
	store, err := actors.Spawn(sysA, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)

	// Node B (usually another process or machine) knows node A's address.
	sysB := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	rb, err := remoting.Start(sysB, remoting.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rb.Shutdown(false)
	addrA := sysA.Address()

	client := remoting.NewClient(sysB, addrA, "")
	r, err := client.Append(ctx, &messages.Append{Coordinate: messages.Coordinate{Entity: "order-1", Scope: "shop"},
		Kind: messages.MustKind(1, 1), Payload: []byte("created")})
	fmt.Println(r.Version, err)

	_, err = client.Append(ctx, &messages.Append{Coordinate: messages.Coordinate{Entity: "order-1", Scope: "shop"},
		Kind: messages.MustKind(1, 1), Expected: messages.NoStream()})
	var vc *messages.VersionConflictError
	fmt.Println(errors.Is(err, messages.ErrVersionConflict), errors.As(err, &vc) && vc.Actual == 1)

	// What an actor on node B does: a request to the writer's PID.
	res, err := sysB.Root.RequestFuture(remoting.WriterPID(addrA, ""), &messages.Append{
		Coordinate: messages.Coordinate{Entity: "order-1", Scope: "shop"}, Kind: messages.MustKind(1, 2)}, 5*time.Second).Result()
	if err == nil {
		fmt.Println(res.(*messages.AppendReply).Receipt.Version)
	}
	// Would print:
	// 1 <nil>
	// true true
	// 2
}

// A node that listens on every interface, with mutual TLS from PEM files:
// only peers with a certificate of the same CA can connect.
func ExampleLoadTLS() {
	tlsSetup, err := remoting.LoadTLS("/etc/batpak/node.pem", "/etc/batpak/node.key", "/etc/batpak/ca.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	sys := actor.NewActorSystem()
	_, err = remoting.Start(sys, remoting.Config{
		Host:           "0.0.0.0",
		Port:           8090,
		AdvertisedHost: "node-a.internal", // Port is added; node-a.internal must be in the certificate
		TLS:            tlsSetup,
	})
	fmt.Println(err)
}

// Without TLS, a Config that listens beyond loopback is refused.
func ExampleConfig_RemoteConfig() {
	_, err := remoting.Config{Host: "0.0.0.0", AdvertisedHost: "10.0.0.7:8090"}.RemoteConfig()
	fmt.Println(errors.Is(err, remoting.ErrInsecure))
	rc, err := remoting.Config{}.RemoteConfig() // for remote.NewRemote or cluster.Configure
	fmt.Println(rc.Address(), err)
	// Output:
	// true
	// 127.0.0.1:0 <nil>
}
