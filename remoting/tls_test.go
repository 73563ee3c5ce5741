package remoting_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
	"github.com/batpak-go/batpak/remoting/remotingtest"
)

// pki is a CA's PEM files for a store node A, a peer B, and a rogue whose
// certificate another CA signed.
type pki struct {
	ca                       string // the CA's certificate
	aCert, aKey, bCert, bKey string
	rogueCert, rogueKey      string
}

func newPKI(t *testing.T, hosts ...string) pki {
	ca := remotingtest.NewCA(t, "batpak test CA")
	other := remotingtest.NewCA(t, "another CA")
	var p pki
	p.aCert, p.aKey, p.ca = ca.Files(t, t.TempDir(), hosts...)
	p.bCert, p.bKey, _ = ca.Files(t, t.TempDir(), hosts...)
	p.rogueCert, p.rogueKey, _ = other.Files(t, t.TempDir(), hosts...)
	return p
}

// appendOK appends from b to the store "tls" at a and checks the receipt.
func appendOK(t *testing.T, b, a *child) {
	t.Helper()
	r := b.ask(t, remoting.WriterPID(a.Addr, "tls"), &messages.Append{Coordinate: coord("tls"), Kind: kind}).(*messages.AppendReply)
	require.NoError(t, r.Err())
}

// With mutual TLS (the default of a TLS set-up), a peer whose certificate
// the CA signed appends; a peer in plaintext, one with a certificate from
// another CA, and one that presents no certificate cannot: their request
// fails, their connection to node A is given up, the store's count does
// not change, and node A goes on serving valid peers.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	a := spawnChild(t, childConfig{Cert: p.aCert, Key: p.aKey, CA: p.ca, Store: "tls", Dir: t.TempDir()})
	b := spawnChild(t, childConfig{Cert: p.bCert, Key: p.bKey, CA: p.ca})
	appendOK(t, b, a)

	rogues := map[string]childConfig{
		"plaintext":      {MaxRetry: 1},
		"another CA":     {Cert: p.rogueCert, Key: p.rogueKey, CA: p.ca, MaxRetry: 1},
		"no certificate": {Cert: p.rogueCert, Key: p.rogueKey, CA: p.ca, DialNoCert: true, MaxRetry: 1},
	}
	t.Run("rogues", func(t *testing.T) {
		for name, cfg := range rogues {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				r := spawnChild(t, cfg)
				res := r.try(t, remoting.WriterPID(a.Addr, "tls"), &messages.Append{Coordinate: coord("rogue"), Kind: kind}, 3*time.Second)
				require.True(t, res.Timeout || res.DeadLetter, "the rogue's request must fail: %+v", res)
				// protoactor gives the connection up after its attempts: from then on
				// nothing of this rogue can reach node A.
				require.False(t, r.do(t, command{Op: "terminated", Addr: a.Addr}).Timeout, "the connection did not fail")
			})
		}
	})
	require.Equal(t, 1, a.do(t, command{Op: "count"}).Count, "a rogue's append was written")
	appendOK(t, b, a)
	require.Equal(t, 2, a.do(t, command{Op: "count"}).Count)
}

// With TLS.NoClientCert, a peer that presents no certificate connects and
// appends (what mutual TLS refuses above): only the traffic is protected.
func TestServerOnlyTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	a := spawnChild(t, childConfig{Cert: p.aCert, Key: p.aKey, CA: p.ca, NoClientCert: true, Store: "tls", Dir: t.TempDir()})
	// its own listener has a valid certificate, so that node A can reply
	b := spawnChild(t, childConfig{Cert: p.bCert, Key: p.bKey, CA: p.ca, DialNoCert: true})
	appendOK(t, b, a)
	require.Equal(t, 1, a.do(t, command{Op: "count"}).Count)
}

// TLS.ServerName: certificates that name no address, only a shared DNS
// name, work when every node checks its peers against that name.
func TestTLSServerName(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "batpak-node")
	a := spawnChild(t, childConfig{Cert: p.aCert, Key: p.aKey, CA: p.ca, ServerName: "batpak-node", Store: "tls", Dir: t.TempDir()})
	b := spawnChild(t, childConfig{Cert: p.bCert, Key: p.bKey, CA: p.ca, ServerName: "batpak-node"})
	appendOK(t, b, a)
}

// LoadTLS reads PEM files into a mutual-TLS set-up, and refuses missing
// or empty files with ErrInvalidConfig.
func TestLoadTLS(t *testing.T) {
	ca := remotingtest.NewCA(t, "batpak test CA")
	dir := t.TempDir()
	cert, key, caFile := ca.Files(t, dir)
	tl, err := remoting.LoadTLS(cert, key, caFile)
	require.NoError(t, err)
	require.False(t, tl.NoClientCert)
	require.NotNil(t, tl.RootCAs)
	require.NotEmpty(t, tl.Certificate.Certificate)
	_, err = remoting.Config{TLS: tl}.RemoteConfig()
	require.NoError(t, err)

	_, err = remoting.LoadTLS(filepath.Join(dir, "missing.pem"), key, caFile)
	require.ErrorIs(t, err, remoting.ErrInvalidConfig)
	_, err = remoting.LoadTLS(cert, key, filepath.Join(dir, "missing.pem"))
	require.ErrorIs(t, err, remoting.ErrInvalidConfig)
	empty := filepath.Join(dir, "empty.pem")
	require.NoError(t, os.WriteFile(empty, []byte("not pem"), 0o600))
	_, err = remoting.LoadTLS(cert, key, empty)
	require.ErrorIs(t, err, remoting.ErrInvalidConfig)
}
