package remoting_test

import (
	"net"
	"strconv"
	"syscall"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/remoting"
)

// newSystem is an actor system without remote, shut down with the test.
func newSystem(t *testing.T) *actor.ActorSystem {
	sys := actor.NewActorSystem(actors.SystemLogger(quietLogger()))
	t.Cleanup(sys.Shutdown)
	return sys
}

// A port in use is an ErrListen error that also wraps the system's
// EADDRINUSE, not protoactor's panic; so is a host that is not an address
// of this machine. Nothing is started: the system can start afterwards.
func TestStartCannotListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	sys := newSystem(t)
	_, err = remoting.Start(sys, remoting.Config{Port: port})
	require.ErrorIs(t, err, remoting.ErrListen)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Equal(t, "nonhost", sys.Address())

	_, err = remoting.Start(sys, remoting.Config{Host: "192.0.2.1", Insecure: true}) // TEST-NET-1: not ours
	require.ErrorIs(t, err, remoting.ErrListen)
	require.Equal(t, "nonhost", sys.Address())
}

// Should the port be taken between Start's check and protoactor's listen,
// protoactor's panic is caught and returned as ErrListen (run in a child:
// protoactor's Start touches gRPC's global logger).
func TestStartRecoversProtoactorsPanic(t *testing.T) {
	t.Parallel()
	r := spawnChildRaw(t, childConfig{Recover: true})
	require.True(t, r.Listen, "%+v", r)
	require.Contains(t, r.Err, "failed to listen")
	require.Contains(t, r.Err, "127.0.0.1:"+r.Addr)
}

// Start refuses a system whose remote is already started.
func TestStartTwice(t *testing.T) {
	sys := sharedNode(t)
	addr := sys.Address()
	_, err := remoting.Start(sys, remoting.Config{})
	require.ErrorIs(t, err, remoting.ErrInvalidConfig)
	require.Equal(t, addr, sys.Address())
}

// A started node reports the address peers reach it at: the bound
// loopback address, or AdvertisedHost. IPv6 loopback works too.
func TestStartedAddress(t *testing.T) {
	t.Parallel()
	host, port, err := net.SplitHostPort(sharedNode(t).Address())
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	require.Positive(t, p)

	adv := spawnChild(t, childConfig{Advertised: "10.11.12.13:4000"})
	require.Equal(t, "10.11.12.13:4000", adv.Addr)

	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Log("no IPv6 loopback here: skipping the IPv6 case")
		return
	} else {
		ln.Close()
	}
	v6 := spawnChild(t, childConfig{Host: "::1"})
	h, _, err := net.SplitHostPort(v6.Addr)
	require.NoError(t, err)
	require.Equal(t, "::1", h)
	a := storeOnA(t, actors.Config{})
	require.NoError(t, v6.appendTo(t, a, appendReq("v6")).Err(), "node A replies to the IPv6 node")
}
