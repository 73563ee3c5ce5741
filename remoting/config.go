package remoting

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// DefaultHost is the host a Config listens on when Host is empty: IPv4
// loopback, reachable from this machine only.
const DefaultHost = "127.0.0.1"

// Config says where and how an actor system listens for its peers. The
// zero value listens on 127.0.0.1, on a free port, in plaintext: enough
// for several actor systems on one machine, and unreachable from any
// other. Listening anywhere else takes TLS (or an explicit Insecure).
type Config struct {
	// Host is the address to listen on. Default DefaultHost (loopback).
	// A host that is not loopback ("localhost", 127.0.0.0/8, ::1) needs TLS,
	// unless Insecure is set: RemoteConfig and Start refuse it otherwise
	// with ErrInsecure. A wildcard ("0.0.0.0", "::") listens on every
	// interface and needs AdvertisedHost, since peers cannot reply to it.
	// An IPv6 address may be given with or without brackets.
	Host string
	// Port is the TCP port to listen on; 0 (the default) takes any free
	// port, which the actor system's Address() reports once started.
	Port int
	// AdvertisedHost, if set, is the address peers reach this node at,
	// when it differs from Host (a wildcard Host, NAT, a container): the
	// address of every PID this node hands out. "host:port", or a bare
	// host to which Port is added (then Port must not be 0). Default: the
	// address the listener is bound to.
	AdvertisedHost string
	// TLS, if set, encrypts every connection from and to this node and
	// authenticates the peers (mutual TLS unless TLS.NoClientCert). nil:
	// plaintext, allowed on a loopback Host only (or with Insecure).
	// Every node of a system must use TLS, or none.
	TLS *TLS
	// Insecure allows a Host that is not loopback without TLS: anyone who
	// can reach the port can then append to and read every store of the
	// actor system, and see the traffic. For a network that is private by
	// other means only. Default false.
	Insecure bool
}

// listen is the host and port a Config listens on, and the advertised
// address (empty: the bound address), after defaults and checks.
type listen struct {
	host, advertised string
	port             int
}

// check applies the defaults and validates c.
func (c Config) check() (listen, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(c.Host, "["), "]")
	if host == "" {
		host = DefaultHost
	}
	if c.Port < 0 || c.Port > 65535 {
		return listen{}, invalid("Port %d not in [0, 65535]", c.Port)
	}
	if c.TLS == nil && !c.Insecure && !IsLoopback(host) {
		return listen{}, fmt.Errorf("%w: Host %q is not loopback: set Config.TLS (or Config.Insecure to accept plaintext): %w",
			ErrInsecure, host, messages.ErrInvalidArgument)
	}
	if c.TLS != nil {
		if err := c.TLS.check(); err != nil {
			return listen{}, err
		}
	}
	adv, err := c.advertised()
	if err != nil {
		return listen{}, err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() && adv == "" {
		return listen{}, invalid("Host %q listens on every interface: set AdvertisedHost to the address peers reach this node at", host)
	}
	return listen{host: host, port: c.Port, advertised: adv}, nil
}

// advertised returns AdvertisedHost as host:port ("" when unset).
func (c Config) advertised() (string, error) {
	a := c.AdvertisedHost
	if a == "" {
		return "", nil
	}
	if h, p, err := net.SplitHostPort(a); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 || h == "" {
			return "", invalid("AdvertisedHost %q is not host:port", a)
		}
		return a, nil
	}
	if c.Port == 0 {
		return "", invalid("AdvertisedHost %q has no port and Port is 0 (any free port): give one of them", a)
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"), strconv.Itoa(c.Port)), nil
}

// IsLoopback reports whether host (an IP address, with or without
// brackets, or a name) is this machine's loopback: "localhost", an
// address in 127.0.0.0/8, or ::1. Any other name counts as reachable from
// the network.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalidConfig, fmt.Sprintf(format, args...), messages.ErrInvalidArgument)
}
