package remoting_test

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/remoting"
	"github.com/batpak-go/batpak/remoting/remotingtest"
)

// The zero Config listens on 127.0.0.1, on any free port, in plaintext;
// every loopback host is allowed without TLS.
func TestLoopbackIsTheDefault(t *testing.T) {
	rc, err := remoting.Config{}.RemoteConfig()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", rc.Host)
	require.Equal(t, 0, rc.Port)
	require.Empty(t, rc.ServerOptions, "plaintext")
	require.Len(t, rc.DialOptions, 1)
	require.Empty(t, rc.AdvertisedHost)
	for host, want := range map[string]string{"localhost": "localhost", "127.0.0.2": "127.0.0.2", "::1": "[::1]", "[::1]": "[::1]"} {
		rc, err := remoting.Config{Host: host, Port: 4000}.RemoteConfig()
		require.NoError(t, err, host)
		require.Equal(t, want, rc.Host, host)
		require.Equal(t, want+":4000", rc.Address(), host)
	}
	for host, loop := range map[string]bool{"localhost": true, "LOCALHOST": true, "127.9.9.9": true, "::1": true, "[::1]": true,
		"0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false, "": false} {
		require.Equal(t, loop, remoting.IsLoopback(host), host)
	}
}

// A host beyond loopback without TLS is refused with ErrInsecure (also
// ErrInvalidArgument) by RemoteConfig and by Start, before anything
// listens; Insecure or TLS allow it.
func TestNonLoopbackNeedsTLS(t *testing.T) {
	for _, host := range []string{"10.1.2.3", "example.com", "0.0.0.0", "::"} {
		c := remoting.Config{Host: host, AdvertisedHost: "10.1.2.3:4000"}
		_, err := c.RemoteConfig()
		require.ErrorIs(t, err, remoting.ErrInsecure, host)
		require.ErrorIs(t, err, messages.ErrInvalidArgument, host)
		sys := newSystem(t)
		_, err = remoting.Start(sys, c)
		require.ErrorIs(t, err, remoting.ErrInsecure, host)
		require.Equal(t, "nonhost", sys.Address(), "nothing started")

		c.Insecure = true
		_, err = c.RemoteConfig()
		require.NoError(t, err, host)
		c.Insecure = false
		c.TLS = remotingtest.NewCA(t, "ca").TLS(t)
		rc, err := c.RemoteConfig()
		require.NoError(t, err, host)
		require.Len(t, rc.ServerOptions, 1, "TLS credentials")
		require.Len(t, rc.DialOptions, 1, "TLS credentials, replacing protoactor's plaintext default")
	}
}

// Inconsistent configs are refused with ErrInvalidConfig (also
// ErrInvalidArgument).
func TestInvalidConfig(t *testing.T) {
	ca := remotingtest.NewCA(t, "ca")
	for name, c := range map[string]remoting.Config{
		"port below 0":                  {Port: -1},
		"port above 65535":              {Port: 70000},
		"TLS without a certificate":     {TLS: &remoting.TLS{RootCAs: ca.Pool()}},
		"TLS without CAs":               {TLS: &remoting.TLS{Certificate: ca.Node(t)}},
		"TLS with a certificate no key": {TLS: &remoting.TLS{Certificate: tls.Certificate{Certificate: ca.Node(t).Certificate}, RootCAs: ca.Pool()}},
		"wildcard host, no advertised":  {Host: "0.0.0.0", Insecure: true},
		"advertised without a port":     {AdvertisedHost: "node-a"},
		"advertised with a bad port":    {AdvertisedHost: "node-a:http"},
		"advertised port 0":             {AdvertisedHost: "node-a:0"},
		"advertised without a host":     {AdvertisedHost: ":4000"},
	} {
		_, err := c.RemoteConfig()
		require.ErrorIs(t, err, remoting.ErrInvalidConfig, name)
		require.ErrorIs(t, err, messages.ErrInvalidArgument, name)
		_, err = remoting.Start(newSystem(t), c)
		require.ErrorIs(t, err, remoting.ErrInvalidConfig, name)
	}
	_, err := remoting.Start(nil, remoting.Config{})
	require.ErrorIs(t, err, remoting.ErrInvalidConfig)
}

// AdvertisedHost becomes the remote's advertised address: as given with a
// port, or with Port added.
func TestAdvertisedHost(t *testing.T) {
	for _, c := range []struct {
		cfg  remoting.Config
		want string
	}{
		{remoting.Config{AdvertisedHost: "node-a:4000"}, "node-a:4000"},
		{remoting.Config{AdvertisedHost: "node-a", Port: 4001}, "node-a:4001"},
		{remoting.Config{AdvertisedHost: "fd00::1", Port: 4002}, "[fd00::1]:4002"},
		{remoting.Config{AdvertisedHost: "[fd00::1]:4003"}, "[fd00::1]:4003"},
		{remoting.Config{Host: "0.0.0.0", AdvertisedHost: "10.0.0.7:4004", Insecure: true}, "10.0.0.7:4004"},
	} {
		rc, err := c.cfg.RemoteConfig()
		require.NoError(t, err)
		require.Equal(t, c.want, rc.AdvertisedHost)
	}
}
