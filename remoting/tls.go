package remoting

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLS is a node's TLS set-up: its certificate, and the CAs its peers'
// certificates must chain to. Every node of an actor system both listens
// (a TLS server to the peers that send to it) and dials (a TLS client of
// the peers it sends to, replies included), with the same certificate.
// Connections use TLS 1.3.
//
// By default TLS is mutual: a peer must present a certificate signed by
// one of RootCAs to connect at all, so only holders of such a certificate
// can send messages (append, read) to this node. Any certificate RootCAs
// signed is a peer: use a CA of your own for the system's nodes, never a
// public one.
type TLS struct {
	// Certificate is this node's certificate chain and private key (for
	// example from tls.LoadX509KeyPair). Required. Its subject alternative
	// names must cover the host peers dial: the IP address or DNS name of
	// AdvertisedHost, else of Host (an IP needs an IP SAN), unless the
	// peers set ServerName. For mutual TLS it must allow both server and
	// client authentication (extended key usages serverAuth and
	// clientAuth, or none).
	Certificate tls.Certificate
	// RootCAs are the CAs that sign the peers' certificates; both the
	// server and the client side verify against them (never against the
	// system's roots). Required.
	RootCAs *x509.CertPool
	// ServerName, if set, is the name every peer's certificate is checked
	// against when this node dials it, instead of the host it dials (useful
	// when all nodes share one certificate name). Default: the dialled
	// host.
	ServerName string
	// NoClientCert turns mutual TLS off: peers that dial this node need
	// no certificate. Connections are still encrypted and peers still
	// verify this node, but anyone who reaches the port can send to its
	// actors. Default false (mutual TLS).
	NoClientCert bool
}

// LoadTLS reads a node's TLS set-up from PEM files: its certificate chain
// (certFile), its private key (keyFile), and the CA certificates that sign
// its peers (caFile, one or more certificates). The result is mutual TLS;
// change its fields for anything else.
func LoadTLS(certFile, keyFile, caFile string) (*TLS, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: TLS certificate: %w", ErrInvalidConfig, err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%w: TLS CA file: %w", ErrInvalidConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, invalid("TLS CA file %s holds no PEM certificate", caFile)
	}
	return &TLS{Certificate: cert, RootCAs: pool}, nil
}

func (t *TLS) check() error {
	if len(t.Certificate.Certificate) == 0 || t.Certificate.PrivateKey == nil {
		return invalid("TLS.Certificate is empty (a certificate and its private key are required)")
	}
	if t.RootCAs == nil {
		return invalid("TLS.RootCAs is nil (the CAs of the peers' certificates are required)")
	}
	return nil
}

// server is the TLS configuration of this node's listener.
func (t *TLS) server() *tls.Config {
	auth := tls.RequireAndVerifyClientCert
	if t.NoClientCert {
		auth = tls.NoClientCert
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.Certificate},
		ClientCAs:    t.RootCAs,
		ClientAuth:   auth,
	}
}

// client is the TLS configuration this node dials its peers with.
func (t *TLS) client() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.Certificate},
		RootCAs:      t.RootCAs,
		ServerName:   t.ServerName,
	}
}
