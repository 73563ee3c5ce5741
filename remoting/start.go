package remoting

import (
	"fmt"
	"net"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// RemoteConfig checks c and builds protoactor's remote configuration from
// it: the listening host and port, the advertised address, and gRPC's
// transport credentials on both sides (TLS, or plaintext). Pass it to
// remote.NewRemote, or to cluster.Configure for a cluster member; Start
// does the former for you, without panicking.
//
// Its DialOptions and ServerOptions hold the credentials: append to them,
// never replace them (protoactor's remote.WithDialOptions replaces the
// list, and its default dials in plaintext). Other fields (Kinds, batch
// and queue sizes) may be changed.
func (c Config) RemoteConfig() (*remote.Config, error) {
	l, err := c.check()
	if err != nil {
		return nil, err
	}
	dial := grpc.WithTransportCredentials(insecure.NewCredentials())
	var serve []grpc.ServerOption
	if c.TLS != nil {
		dial = grpc.WithTransportCredentials(credentials.NewTLS(c.TLS.client()))
		serve = append(serve, grpc.Creds(credentials.NewTLS(c.TLS.server())))
	}
	opts := []remote.ConfigOption{remote.WithDialOptions(dial), remote.WithServerOptions(serve...)}
	if l.advertised != "" {
		opts = append(opts, remote.WithAdvertisedHost(l.advertised))
	}
	host := l.host
	if strings.Contains(host, ":") { // IPv6: protoactor joins host and port with a bare colon
		host = "[" + host + "]"
	}
	return remote.Configure(host, l.port, opts...), nil
}

// Start puts sys on the network as c says and returns its running remote;
// sys.Address() then reports the address peers reach it at. Stop it with
// the remote's Shutdown. Start returns an error, never panics (protoactor's
// own Start panics when it cannot listen): ErrInsecure or ErrInvalidConfig
// for a Config that RemoteConfig refuses, ErrListen when the address cannot
// be listened on (also wrapping the system's error, such as
// syscall.EADDRINUSE for a port in use), ErrInvalidConfig for a nil sys or
// one whose remote is already started.
func Start(sys *actor.ActorSystem, c Config) (*remote.Remote, error) {
	if sys == nil {
		return nil, invalid("Start needs an actor system")
	}
	if a := sys.Address(); a != "nonhost" { // protoactor's address of a system without remote
		return nil, invalid("the actor system's remote is already started (at %s)", a)
	}
	rc, err := c.RemoteConfig()
	if err != nil {
		return nil, err
	}
	addr := rc.Address()
	// protoactor panics when it cannot listen: try first (the listener is
	// closed at once), and catch the panic if the port was taken since.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w on %s: %w", ErrListen, addr, err)
	}
	if err := ln.Close(); err != nil {
		return nil, fmt.Errorf("%w on %s: %w", ErrListen, addr, err)
	}
	r := remote.NewRemote(sys, rc)
	if err := start(r, addr); err != nil {
		return nil, err
	}
	return r, nil
}

// start starts r, which listens on addr, turning protoactor's panic into
// an ErrListen error.
func start(r *remote.Remote, addr string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w on %s: %v", ErrListen, addr, p)
		}
	}()
	r.Start()
	return nil
}
