package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestUsageErrorsExitTwo(t *testing.T) {
	r := cli(t, "", "no-such-command")
	if r.code != ExitUsage || !strings.HasPrefix(r.stderr, "batpak: unknown command") {
		t.Fatalf("unknown command: %+v", r)
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("not one line: %q", r.stderr)
	}
}

func TestHelpExitsZero(t *testing.T) {
	r := cli(t, "", "--help")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Exit status") {
		t.Fatalf("%+v", r)
	}
}

func TestAPanicIsOneLineAndExitOne(t *testing.T) {
	register(func(*env) *cobra.Command {
		return &cobra.Command{Use: "test-panic", Hidden: true, RunE: func(*cobra.Command, []string) error { panic("boom") }}
	})
	defer func() { commands = commands[:len(commands)-1] }()
	r := cli(t, "", "test-panic")
	if r.code != ExitError || r.stderr != "batpak: internal error (please report it): boom\n" {
		t.Fatalf("%+v", r)
	}
}
