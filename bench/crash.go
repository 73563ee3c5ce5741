package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// A kill -9 mid-segment: a store filled and closed cleanly gets crashExtra
// more events, acknowledged, and is then left the way a killed process
// leaves it. The batpak engine does that in process (Engine.Abandon: no
// footer, no seal, no fsync); every other system appends in a child
// process (this same binary) that is killed with SIGKILL once its appends
// are acknowledged.

// crashExtra is the number of events written after the clean close: a
// tenth of the store (at 1M events of 256 B, ~40 MB: about half of a
// 64 MiB segment).
func crashExtra(coldN int) int { return max(coldN/10, 1) }

// inProcessCrasher is a system that can leave its store as a kill -9 would
// without a child process.
type inProcessCrasher interface {
	// Crash gives the open store up without closing it.
	Crash() error
}

// crashFillerer is a system whose crash child fills another variant of it
// (with the same files).
type crashFillerer interface {
	crashFiller() System
}

// The crash child's environment: which system, which directory, how many
// events. crashReady is the line it prints once its appends are acknowledged.
const (
	envCrashSystem = "BATPAK_BENCH_CRASH_SYSTEM"
	envCrashDir    = "BATPAK_BENCH_CRASH_DIR"
	envCrashEvents = "BATPAK_BENCH_CRASH_EVENTS"
	crashReady     = "appended"
)

// crashTimeout bounds a crash child's life.
const crashTimeout = 10 * time.Minute

// crashStore opens sys on dir, appends n events and leaves the store the
// way a kill -9 would.
func crashStore(ctx context.Context, sys System, dir string, n int) error {
	if c, ok := sys.(inProcessCrasher); ok {
		if err := sys.Open(dir, 1); err != nil {
			return fmt.Errorf("open: %w", err)
		}
		if err := sys.Fill(n); err != nil {
			sys.Close()
			return fmt.Errorf("fill: %w", err)
		}
		return c.Crash()
	}
	return crashInChild(ctx, sys.Name(), dir, n)
}

// crashInChild runs this binary as a crash child for the named system and
// kills it with SIGKILL once it has appended n events.
func crashInChild(ctx context.Context, name, dir string, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, crashTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), envCrashSystem+"="+name, envCrashDir+"="+dir, envCrashEvents+"="+strconv.Itoa(n))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // the child waits on it, and exits if we die
	if err != nil {
		return err
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	line, rerr := bufio.NewReader(stdout).ReadString('\n')
	kerr := cmd.Process.Kill() // SIGKILL
	werr := cmd.Wait()
	if strings.TrimSpace(line) != crashReady {
		return fmt.Errorf("crash child: %v (%v): %s", rerr, werr, strings.TrimSpace(stderr.String()))
	}
	if kerr != nil {
		return fmt.Errorf("kill the crash child: %w", kerr)
	}
	if cmd.ProcessState.Success() {
		return errors.New("the crash child exited by itself")
	}
	return nil
}

// crashChildRequested says whether this process is a crash child.
func crashChildRequested() bool { return os.Getenv(envCrashSystem) != "" }

// crashChild is the child's whole life: open the named system, append,
// say so on stdout, then wait to be killed (if stdin closes first, the
// parent is gone: exit without closing). It returns the exit code.
func crashChild() int {
	if err := crashChildAppend(); err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	fmt.Println(crashReady)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 2
}

func crashChildAppend() error {
	name, dir := os.Getenv(envCrashSystem), os.Getenv(envCrashDir)
	n, err := strconv.Atoi(os.Getenv(envCrashEvents))
	if err != nil {
		return fmt.Errorf("%s: %w", envCrashEvents, err)
	}
	sys := systemByName(name)
	if sys == nil {
		return fmt.Errorf("no system named %q", name)
	}
	if f, ok := sys.(crashFillerer); ok {
		sys = f.crashFiller()
	}
	if err := sys.Open(dir, 1); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	return sys.Fill(n)
}

// systemByName is the system with that name, or nil.
func systemByName(name string) System {
	for _, s := range allSystems() {
		if s.Name() == name {
			return s
		}
	}
	return nil
}
