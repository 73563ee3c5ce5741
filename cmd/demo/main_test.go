package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{dir: filepath.Join(t.TempDir(), "data"), orders: 12}))
	s := out.String()
	require.Contains(t, s, "halfway: injecting a writer panic")
	require.Contains(t, s, `"Name":"batpak.writer.restart"`, "the restart span is printed")
	require.Contains(t, s, "auditor saw all 36 events; slow mailer saw all 12 reservations")
	require.Regexp(t, regexp.MustCompile(`summary: 36 events in \d+ streams, \d+ commit groups, 1 writer restart\(s\)`), s)
	require.Contains(t, s, "hash chains verified:")
	require.Regexp(t, regexp.MustCompile(`the mail's causes, nearest first: stock/sku-\d order/\d-00`), s)
}
