package partition_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

const reviewCloseEnv = "BATPAK_REVIEW_CLOSE_CHILD"

// TestCloseAnswersCallsInFlight: a call in flight when its member is
// closed returns at once with messages.ErrClosed (an append's also
// matching messages.ErrOutcomeUnknown), instead of waiting for a reply
// that can no longer reach the closed member until its request timeout.
//
// The member runs in a child process (one protoactor remote per process);
// partition 0's owner "a" is this process, whose front never answers.
func TestCloseAnswersCallsInFlight(t *testing.T) {
	if reg := os.Getenv(reviewCloseEnv); reg != "" {
		closeChild(t, reg)
		return
	}
	c := client(t) // this process's remote
	got := make(chan struct{}, 2)
	pid, err := c.System().Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
		switch ctx.Message().(type) {
		case *messages.Append, *messages.ReadStream:
			got <- struct{}{}
		}
	}), "batpak-partition-0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.System().Root.StopFuture(pid).Wait() })
	reg := t.TempDir()
	host, port, err := c.System().GetHostPort()
	require.NoError(t, err)
	b, err := json.Marshal(fileMember{ID: "review-silent-a", Host: host, Port: port, Kinds: []string{"batpak-member.a"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(reg, "a.json"), b, 0o600))

	cmd := exec.Command(os.Args[0], "-test.run=^TestCloseAnswersCallsInFlight$", "-test.v")
	cmd.Env = append(os.Environ(), reviewCloseEnv+"="+reg)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for range 2 { // an append and a read, both delivered and unanswered
		select {
		case <-got:
		case <-time.After(30 * time.Second):
			t.Fatalf("the child's requests did not arrive; stderr:\n%s", stderr.String())
		}
	}
	_, err = fmt.Fprintln(stdin, "close")
	require.NoError(t, err)
	var out []string
	for l := range lines {
		out = append(out, l)
	}
	_ = cmd.Wait()
	require.Equal(t, 0, cmd.ProcessState.ExitCode(), "child output:\n%s\nstderr:\n%s", strings.Join(out, "\n"), stderr.String())
}

// closeChild is the child: a client member of a store whose partition 0
// is owned by the silent parent; an append and a read in flight when it
// closes.
func closeChild(t *testing.T, reg string) {
	m, err := partition.Start(partition.Config{ClusterName: "review-close", Provider: newFileProvider(reg), Owners: []string{"a"},
		System: quietSystem(), RequestTimeout: 25 * time.Second, ClusterOptions: []cluster.ConfigOption{quietGossip}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return m.Available(0) }, 20*time.Second, 5*time.Millisecond)
	errs := make(chan error, 2)
	go func() {
		_, err := m.Append(context.Background(), &messages.Append{Coordinate: coord("e"), Kind: kind})
		errs <- fmt.Errorf("append: %w", err)
	}()
	go func() {
		_, err := m.ReadStream(context.Background(), &messages.ReadStream{Coordinate: coord("e")})
		errs <- fmt.Errorf("read: %w", err)
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() && sc.Text() != "close" {
	}
	at := time.Now()
	require.NoError(t, m.Close(context.Background()))
	for range 2 {
		select {
		case err := <-errs:
			require.Less(t, time.Since(at), 5*time.Second, "%v", err)
			require.ErrorIs(t, err, messages.ErrClosed)
			isAppend := strings.HasPrefix(err.Error(), "append")
			require.Equal(t, isAppend, errors.Is(err, messages.ErrOutcomeUnknown), "%v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("a call in flight at Close did not return within 10 s")
		}
	}
}
