package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/batpak-go/batpak/storage/format"
)

// The built command, for exit statuses and signals as a shell sees them.
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// batpakBin builds cmd/batpak once per test run and returns its path.
func batpakBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "batpak-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "batpak")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// runBin runs the built command and returns its streams and exit status.
func runBin(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(batpakBin(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// The exit statuses of the read commands, as a shell sees them.
func TestBinaryExitStatuses(t *testing.T) {
	dir, evs := writeSegmented(t, 200, 3)
	bad := copyStore(t, dir)
	flipByte(t, filepath.Join(bad, format.SegmentName(evs[100].Segment)), evs[100].Offset+30)
	unreadable := copyStore(t, dir)
	seg := filepath.Join(unreadable, format.SegmentName(1))
	os.Remove(seg)
	os.Mkdir(seg, 0o700)
	missing := filepath.Join(t.TempDir(), "missing")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"verify", dir}, ExitOK},
		{[]string{"verify", bad}, ExitCorrupt},
		{[]string{"verify", unreadable}, ExitIO},
		{[]string{"verify", missing}, ExitError},
		{[]string{"verify"}, ExitUsage},
		{[]string{"verify", dir, "--nope"}, ExitUsage},
		{[]string{"stats", dir}, ExitOK},
		{[]string{"dump", bad}, ExitCorrupt},
		{[]string{"tail", missing}, ExitError},
	} {
		r := runBin(t, c.args...)
		if r.code != c.code {
			t.Fatalf("%v: exit %d, want %d (%q)", c.args, r.code, c.code, r.stderr)
		}
		if c.code != ExitOK && (strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "batpak: ")) {
			t.Fatalf("%v: stderr %q", c.args, r.stderr)
		}
		if strings.Contains(r.stderr, "goroutine") {
			t.Fatalf("%v: a stack trace: %q", c.args, r.stderr)
		}
	}
}

// tail -f runs until SIGINT or SIGTERM, and then exits 0.
func TestBinaryTailStopsOnASignal(t *testing.T) {
	dir, _ := writeSegmented(t, 20, 2)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(batpakBin(t), "tail", "-f", "-n", "1", dir, "--poll", "10ms")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Its first line says it has printed the last event and follows.
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "#19  ") {
			t.Fatalf("first line %q, %v", line, err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: %v (%q)", sig, err, errb.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: tail -f did not stop", sig)
		}
	}
}

// go install ./cmd/batpak works and installs a working command.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	gobin := t.TempDir()
	cmd := exec.Command("go", "install", ".")
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "batpak"), "verify", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Examples:") || !strings.Contains(string(out), "Exit status") {
		t.Fatalf("%v\n%s", err, out)
	}
}
