package partition

import (
	"testing"

	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

func TestStartRefusesABadConfig(t *testing.T) {
	p := test.NewTestProvider(test.NewInMemAgent())
	good := Config{ClusterName: "c", Provider: p, Owners: []string{"a", "b"}, Name: "a", Dir: t.TempDir()}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		msg  string
	}{
		{"no cluster name", func(c *Config) { c.ClusterName = "" }, "ClusterName"},
		{"no provider", func(c *Config) { c.Provider = nil }, "Provider"},
		{"no owners", func(c *Config) { c.Owners = nil }, "Owners is empty"},
		{"too many partitions", func(c *Config) { c.Owners = make([]string, MaxPartitions+1) }, "at most 65536"},
		{"an empty owner", func(c *Config) { c.Owners = []string{"a", ""} }, "Owners[1]"},
		{"an owner with a slash", func(c *Config) { c.Owners = []string{"a", "b/c"} }, "Owners[1]"},
		{"a name too long", func(c *Config) { c.Name = "abcdefghijabcdefghijabcdefghijabcdefghijx" }, "Config.Name"},
		{"an owner without a directory", func(c *Config) { c.Dir = "" }, "Config.Dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			_, err := Start(c)
			require.ErrorIs(t, err, messages.ErrInvalidArgument)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	// A client (no name, or a name that owns nothing) needs no directory.
	c := good
	c.Name, c.Dir = "", ""
	require.NoError(t, c.validate())
	c.Name = "z"
	require.NoError(t, c.validate())
	require.Empty(t, c.owned())
	require.Equal(t, []int{0}, good.owned())
}
