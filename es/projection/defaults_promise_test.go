package projection

import (
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// es/README.md: a live projection checkpoints every Every events (default
// 1,000) and Interval after a change (default 1 s).
func TestPromiseCheckpointDefaults(t *testing.T) {
	cfg, err := Config[int]{Name: "p", Apply: func(s int, _ messages.Event) (int, error) { return s + 1, nil }}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, 1000, cfg.Every)
	require.Equal(t, time.Second, cfg.Interval)
}
