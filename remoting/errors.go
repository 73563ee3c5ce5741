package remoting

import "errors"

// Errors of this package. Each is returned wrapped, with the detail;
// test with errors.Is.
var (
	// ErrInsecure: the Config would listen on a host other than loopback
	// without TLS, and Config.Insecure is not set. The error also matches
	// messages.ErrInvalidArgument.
	ErrInsecure = errors.New("remoting: refusing to listen beyond loopback without TLS")
	// ErrInvalidConfig: a Config field is out of range or inconsistent (a
	// port outside [0, 65535], a TLS without a certificate or CA pool, a
	// wildcard Host without AdvertisedHost...). The error also matches
	// messages.ErrInvalidArgument.
	ErrInvalidConfig = errors.New("remoting: invalid config")
	// ErrListen: Start could not listen on the configured address (the
	// port is in use, the host is not an address of this machine...; the
	// error then also wraps the operating system's error, for example
	// syscall.EADDRINUSE), or protoactor's remote failed to start (its
	// panic's text is in the error).
	ErrListen = errors.New("remoting: cannot listen")
	// ErrUnreachable: a Client's request did not reach its actor: the node
	// could not be reached, or no store of that name runs there (protoactor
	// answered with a dead letter). Nothing of the request was done. The
	// error also matches actor.ErrDeadLetter.
	ErrUnreachable = errors.New("remoting: the store's actor did not receive the request")
)
