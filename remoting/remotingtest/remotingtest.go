// Package remotingtest makes throw-away TLS certificates for tests of
// nodes set up with package remoting: a CA, and node certificates it
// signs for given hosts. Keys are ECDSA P-256, certificates are valid
// from an hour ago for a day. Do not use it outside tests.
package remotingtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/batpak-go/batpak/remoting"
)

// DefaultHosts are the hosts a node certificate covers when none are
// given: the loopback addresses and localhost.
var DefaultHosts = []string{"127.0.0.1", "::1", "localhost"}

// CA is a test certificate authority.
type CA struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

// NewCA makes a new CA named name; t fails on any error.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("remotingtest: CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("remotingtest: CA certificate: %v", err)
	}
	return &CA{cert: cert, der: der, key: key}
}

// Pool returns a pool holding the CA's certificate alone.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// PEM returns the CA's certificate in PEM.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.der})
}

// Node makes a node certificate signed by the CA for hosts (IP addresses
// become IP SANs, other names DNS SANs; DefaultHosts when none), good for
// both server and client authentication.
func (ca *CA) Node(t testing.TB, hosts ...string) tls.Certificate {
	t.Helper()
	certPEM, keyPEM := ca.NodePEM(t, hosts...)
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("remotingtest: node key pair: %v", err)
	}
	return c
}

// NodePEM is Node, in PEM: the certificate and its private key.
func (ca *CA) NodePEM(t testing.TB, hosts ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	if len(hosts) == 0 {
		hosts = DefaultHosts
	}
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("remotingtest: node certificate: %v", err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("remotingtest: node key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TLS returns a mutual-TLS set-up for a node: a certificate from Node(t,
// hosts...) and the CA as RootCAs.
func (ca *CA) TLS(t testing.TB, hosts ...string) *remoting.TLS {
	t.Helper()
	return &remoting.TLS{Certificate: ca.Node(t, hosts...), RootCAs: ca.Pool()}
}

// Files writes a node's certificate, its key and the CA's certificate as
// PEM files in dir (for remoting.LoadTLS), and returns their paths.
func (ca *CA) Files(t testing.TB, dir string, hosts ...string) (certFile, keyFile, caFile string) {
	t.Helper()
	certPEM, keyPEM := ca.NodePEM(t, hosts...)
	certFile, keyFile, caFile = filepath.Join(dir, "node.pem"), filepath.Join(dir, "node.key"), filepath.Join(dir, "ca.pem")
	for f, b := range map[string][]byte{certFile: certPEM, keyFile: keyPEM, caFile: ca.PEM()} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatalf("remotingtest: %v", err)
		}
	}
	return certFile, keyFile, caFile
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("remotingtest: key: %v", err)
	}
	return k
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatalf("remotingtest: serial: %v", err)
	}
	return n
}
