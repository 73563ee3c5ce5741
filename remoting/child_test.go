package remoting_test

// A child node is this test binary run again as one more protoactor
// node, in its own process, driven by the test over its stdin and stdout
// (one JSON command, one JSON result, per line).
//
// Why processes: protoactor's remote.Start sets gRPC's global logger
// (grpclog.SetLoggerV2) every time, without synchronisation, while the
// gRPC goroutines of any node already running in the process read it; the
// race detector reports it for every second node started in a process.
// So each process here starts at most one remote: the test process its
// shared node A (see sharedNode), each child its own.

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/remoting"
)

// childEnv holds a child's childConfig, in JSON.
const childEnv = "BATPAK_REMOTING_CHILD"

// childConfig is how a child node starts.
type childConfig struct {
	Host       string // Config.Host
	Port       int    // Config.Port
	Advertised string // Config.AdvertisedHost
	Insecure   bool   // Config.Insecure
	// Cert, Key and CA are PEM files for remoting.LoadTLS; empty: no TLS.
	Cert, Key, CA string
	NoClientCert  bool   // TLS.NoClientCert
	ServerName    string // TLS.ServerName
	// DialNoCert dials peers with TLS that trusts CA but presents no
	// certificate (the node's own listener keeps its TLS set-up).
	DialNoCert bool
	// MaxRetry, if set, is remote.Config.MaxRetryCount: the connection
	// attempts (each followed by protoactor's 2 s pause) to a peer.
	MaxRetry int
	// Store, if set, spawns a store of this name in Dir.
	Store, Dir string
	// Recover: instead of starting a node, start a protoactor remote on a
	// port in use through remoting's start and report its error.
	Recover bool
}

// command is one request to a child.
type command struct {
	// Op is "ask" (send a message to Addr/ID and wait for the reply),
	// "client" (a remoting.Client call of Method on store Store at Addr),
	// "count" (the child's store's events) or "terminated" (wait until
	// the connection to Addr has failed for good).
	Op       string
	Addr, ID string
	// Type and Body are the message, as a messages.Wire; with Raw the Wire
	// itself is sent, undecoded.
	Type string
	Body []byte
	Raw  bool
	// Proto, if set, sends a plain protobuf message (a wrapperspb.String)
	// instead.
	Proto string
	// Method is the client call: "append", "batch", "stream" or "query".
	Method string
	// Store is the store's name for "client".
	Store string
	// Trace is the W3C trace context of the client call's context.
	Trace map[string]string
	// TimeoutMS bounds the request.
	TimeoutMS int
}

// result is a child's answer.
type result struct {
	Addr string // the node's address (first line)
	Err  string // an error's text
	// Type and Body are the reply, as a messages.Wire.
	Type string
	Body []byte
	// Flags of the error.
	Timeout, DeadLetter, Unreachable, Deadline, Listen bool
	Count                                              int
}

// runChild runs a child node until its stdin ends, and returns the exit
// code.
func runChild(env string) int {
	var cfg childConfig
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) int { _ = out.Encode(result{Err: err.Error()}); return 1 }
	if err := json.Unmarshal([]byte(env), &cfg); err != nil {
		return fail(err)
	}
	sys := actor.NewActorSystem(actors.SystemLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if cfg.Recover {
		return recoverChild(sys, out)
	}
	n, err := startChild(sys, cfg)
	if err != nil {
		return fail(err)
	}
	if err := out.Encode(result{Addr: sys.Address()}); err != nil {
		return 1
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 64<<20)
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			return fail(err)
		}
		if err := out.Encode(n.do(c)); err != nil {
			return 1
		}
	}
	n.r.Shutdown(false)
	return 0
}

// childNode is a running child.
type childNode struct {
	sys   *actor.ActorSystem
	r     *remote.Remote
	store *actors.Store
	cfg   childConfig

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced when terminated grows
	terminated map[string]bool
}

func startChild(sys *actor.ActorSystem, cfg childConfig) (*childNode, error) {
	n := &childNode{sys: sys, cfg: cfg, changed: make(chan struct{}), terminated: map[string]bool{}}
	sys.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*remote.EndpointTerminatedEvent); ok {
			n.mu.Lock()
			n.terminated[t.Address] = true
			close(n.changed)
			n.changed = make(chan struct{})
			n.mu.Unlock()
		}
	})
	var t *remoting.TLS
	if cfg.Cert != "" {
		var err error
		if t, err = remoting.LoadTLS(cfg.Cert, cfg.Key, cfg.CA); err != nil {
			return nil, err
		}
		t.NoClientCert, t.ServerName = cfg.NoClientCert, cfg.ServerName
	}
	rcfg := remoting.Config{Host: cfg.Host, Port: cfg.Port, AdvertisedHost: cfg.Advertised, Insecure: cfg.Insecure, TLS: t}
	var err error
	if !cfg.DialNoCert && cfg.MaxRetry == 0 {
		n.r, err = remoting.Start(sys, rcfg) // as users do
	} else {
		n.r, err = startChanged(sys, rcfg, cfg)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Store != "" {
		n.store, err = actors.Spawn(sys, actors.Config{Dir: cfg.Dir, Name: cfg.Store})
	}
	return n, err
}

// startChanged starts a remote whose set-up goes beyond remoting.Config:
// a changed retry count, or a dial without a certificate.
func startChanged(sys *actor.ActorSystem, rcfg remoting.Config, cfg childConfig) (*remote.Remote, error) {
	rc, err := rcfg.RemoteConfig()
	if err != nil {
		return nil, err
	}
	if cfg.MaxRetry > 0 {
		rc.MaxRetryCount = cfg.MaxRetry
	}
	if cfg.DialNoCert {
		pem, err := os.ReadFile(cfg.CA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		noCert := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool, ServerName: cfg.ServerName}
		rc.DialOptions = []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(noCert))}
	}
	r := remote.NewRemote(sys, rc)
	return r, remoting.StartRemote(r, rc.Address())
}

// recoverChild starts a protoactor remote on a port this process holds,
// through remoting's start, and reports the error.
func recoverChild(sys *actor.ActorSystem, out *json.Encoder) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = out.Encode(result{Err: err.Error()})
		return 1
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	rc := remote.Configure("127.0.0.1", port)
	err = remoting.StartRemote(remote.NewRemote(sys, rc), rc.Address())
	res := result{Listen: errors.Is(err, remoting.ErrListen), Addr: strconv.Itoa(port)}
	if err != nil {
		res.Err = err.Error()
	}
	_ = out.Encode(res)
	return 0
}
